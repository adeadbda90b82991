"""The dashboard's alert windows are data (Policy, edited in the admin), not constants in the code."""

import datetime

import pytest

from assets.selectors import SupervisionScope
from supervision.dashboard import alert_titles, idle_without_case
from workflows.models import Policy

from ..clock import TODAY
from ..ledgers import import_ledger, ledger_row

pytestmark = pytest.mark.django_db


def test_an_idle_asset_is_raised_after_the_months_the_county_set(alice):
    since = TODAY - datetime.timedelta(days=400)  # about 13 months
    [asset] = import_ledger(
        alice, ledger_row(资产编号="MX-YZ-PC-401", 使用状况="闲置", 停用日期=since, 闲置原因="撤并")
    )
    county = SupervisionScope("county")
    assert [r["asset_id"] for r in idle_without_case(county, TODAY)["rows"]] == [asset.pk]
    assert alert_titles(Policy.current())["idle_without_case"] == "闲置超过12个月未申报盘活"

    Policy.objects.filter(pk=Policy.current().pk).update(idle_alert_months=18, lease_alert_days=90)
    assert idle_without_case(county, TODAY)["rows"] == []
    titles = alert_titles(Policy.current())
    assert titles["idle_without_case"] == "闲置超过18个月未申报盘活" and titles["leases_expiring"] == "租期90日内到期"
