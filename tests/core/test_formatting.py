"""One way to print dates, money and areas on every surface (issue 11 §3): the page's filters, the signed documents'
context and the dashboard read the same functions, so land reads in 亩 (with m² beside it) everywhere."""

import datetime
from decimal import Decimal

from django.template import Context, Template

from core import formatting
from documents.render import _formatted
from supervision.dashboard import area_text

LAND = "mu"


def test_an_area_prints_the_same_on_the_page_in_the_document_and_on_the_dashboard():
    expected = "1.50 亩（1,000.00 m²）"
    assert formatting.area_text(Decimal("1000"), LAND) == expected
    assert area_text(Decimal("1000"), LAND) == expected
    assert _formatted({"area_m2": "1000.00", "area_unit": LAND})["area_m2"] == expected
    assert _formatted({"area_m2": "860"})["area_m2"] == formatting.area_text(860) == "860.00 m²"
    assert formatting.area_text(None) == "—" and _formatted({"area_m2": ""})["area_m2"] == ""


def test_dates_and_money_print_the_same_in_the_templates_and_the_documents():
    page = Template("{% load panhuo %}{{ day|cn_date }} {{ amount|yuan }}").render(
        Context({"day": datetime.date(2028, 2, 29), "amount": Decimal("3600000")})
    )
    assert page == "2028年2月29日 3,600,000.00 元"
    assert _formatted({"deal_on": "2028-02-29", "winning_bid": "3600000"}) == {
        "deal_on": "2028年2月29日",
        "winning_bid": "3,600,000.00 元",
    }
    assert formatting.yuan("not a number") == "not a number" and formatting.yuan(None) == "—"
