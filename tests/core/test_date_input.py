"""Every date field is a browser date picker whose prefilled value is ISO, so a rework form keeps its dates."""

import datetime

from django.utils import translation

from core.forms import DateInput


def test_a_prefilled_date_is_iso_whatever_the_locale():
    with translation.override("zh-hans"):
        html = DateInput().render("lease_starts_on", datetime.date(2028, 2, 29))
    assert 'type="date"' in html and 'value="2028-02-29"' in html
