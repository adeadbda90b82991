"""The sub-type list follows the category (issue 12 §5): on the asset form each sub-type names its category for the
page's script to filter by, in the import template the drop-down offers the chosen category's sub-types, and the
server refuses a pair that does not fit wherever it is entered."""

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assets.imports import DATA_SHEET, LISTS_SHEET, SUBTYPE_CATEGORY_HEADER
from assets.models import Asset, Category, CategorySubtype

from ..factories import category, subtype
from ..ledgers import BUILDING, import_ledger, ledger_row
from .test_register_views import asset_form_data

pytestmark = pytest.mark.django_db

BUILDING_SUBTYPES = "标准厂房、存量商品房、办公用房、经营性用房"


def subtype_options(page: str) -> list[tuple[str, str, str]]:
    """(value, data-category, label) of each option of the sub-type list."""
    select = re.search(r'<select name="subtype"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no sub-type list on the page"
    assert 'data-subtype-of="category"' in select.group(0)
    return re.findall(r'<option value="(\d*)"(?: data-category="(\d+)")?[^>]*>([^<]*)</option>', select.group(1))


def test_the_asset_form_gives_every_sub_type_its_category_and_loads_the_filter(client, alice):
    client.force_login(alice)
    page = client.get(reverse("register:add")).content.decode()

    options = subtype_options(page)
    assert options[0] == ("", "", "请选择")  # core.forms: the blank choice in Chinese
    expected = {(str(s.pk), str(s.category_id), s.name) for s in CategorySubtype.objects.all()}
    assert set(options[1:]) == expected
    assert "/static/panhuo/subtype-filter.js" in page
    assert "<script>" not in page  # the Content-Security-Policy allows no inline script


def test_a_sub_type_of_another_category_is_refused_on_the_new_asset_form_keeping_what_was_typed(client, alice):
    client.force_login(alice)
    data = asset_form_data(
        name="原教师周转房", category=category("building").pk, subtype=subtype("land", "idle_land").pk
    )

    response = client.post(reverse("register:add"), {**data, "area_m2": "120"})

    assert response.status_code == 422
    page = response.content.decode()
    assert f"子类“闲置土地”不属于“{BUILDING}”，可选：{BUILDING_SUBTYPES}。" in page
    assert 'value="原教师周转房"' in page
    assert not Asset.objects.exists()


def test_a_sub_type_of_another_category_is_refused_on_the_edit_form(client, alice):
    [asset] = import_ledger(alice, ledger_row())
    client.force_login(alice)
    loaded_at = client.get(reverse("register:edit", args=[asset.pk])).context["loaded_at"]
    data = asset_form_data(code=asset.code, subtype=subtype("building", "standard_factory").pk, loaded_at=loaded_at)

    response = client.post(reverse("register:edit", args=[asset.pk]), data)

    assert response.status_code == 422
    assert "子类“标准厂房”不属于“其他：办公设备、专用设备、通用设备”" in response.content.decode()
    assert Asset.objects.get(pk=asset.pk).subtype.code == "computer"


def test_a_fitting_pair_is_saved(client, alice):
    client.force_login(alice)
    data = asset_form_data(category=category("building").pk, subtype=subtype("building", "office_building").pk)
    assert client.post(reverse("register:add"), {**data, "area_m2": "120"}).status_code == 302
    assert Asset.objects.get().subtype.code == "office_building"


def test_the_templates_sub_type_drop_down_offers_the_rows_category_only(client, alice):
    client.force_login(alice)
    wb = load_workbook(io.BytesIO(client.get(reverse("register:import_template")).content))
    validations = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in wb[DATA_SHEET].data_validations.dataValidation}

    # 资产子类 is column D, 资产类别 column C: the list is the run of B whose E is this row's category.
    lists = f"'{LISTS_SHEET}'"
    assert validations["D2"] == (f"OFFSET({lists}!$B$1,MATCH($C2,{lists}!$E:$E,0)-1,0,COUNTIF({lists}!$E:$E,$C2),1)")
    sheet = wb[LISTS_SHEET]
    assert sheet["E1"].value == SUBTYPE_CATEGORY_HEADER
    pairs = [(r[1].value, r[4].value) for r in sheet.iter_rows(min_row=2) if r[1].value]
    for chosen in Category.objects.all():
        rows = [i for i, (_, name) in enumerate(pairs) if name == chosen.name]
        # What OFFSET(B, first match, 0, count) yields: contiguous, and exactly this category's sub-types.
        offered = [pairs[i][0] for i in range(rows[0], rows[0] + len(rows))]
        assert offered == list(chosen.subtypes.order_by("sort_order").values_list("name", flat=True))
