"""Regressions from the issue-2 review: filters, tampered forms, oversize numbers, admin escalation."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from assets.models import Asset, ImportBatch, Role, User

from ..factories import AssetFactory, UserFactory, category, subtype
from .test_excel import good_row, xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(school):
    AssetFactory(code="MX-PC-1", holding_unit=school)
    AssetFactory(
        code="MX-FW-1",
        holding_unit=school,
        category=category("building"),
        subtype=subtype("building", "office_building"),
        area_m2=Decimal(100),
    )


def test_a_bad_filter_value_keeps_the_other_filters_and_says_what_is_wrong(client, alice, two):
    client.force_login(alice)
    response = client.get(reverse("register:list"), {"idle_months": "abc", "category": category("building").pk})
    assert [a.code for a in response.context["page_obj"]] == ["MX-FW-1"]
    assert "输入整数" in response.content.decode()


def test_the_export_refuses_a_filter_it_cannot_apply_rather_than_export_everything(client, alice, two):
    client.force_login(alice)
    response = client.get(reverse("register:export"), {"idle_months": "abc", "category": category("building").pk})
    assert response.status_code == 400
    assert "筛选条件有误，未导出" in response.content.decode()
    ok = client.get(reverse("register:export"), {"category": category("building").pk})
    rows = list(openpyxl.load_workbook(io.BytesIO(ok.content)).active.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows if r[0]] == ["MX-FW-1"]


@pytest.mark.parametrize("loaded_at", ["2024-02-30T10:00:00", "9999-12-31T25:61:00", "2024-02-30", ""])
def test_a_tampered_edit_form_is_treated_as_stale_not_a_crash(client, alice, school, loaded_at):
    asset = AssetFactory(holding_unit=school, name="原名")
    client.force_login(alice)
    data = {
        "name": "新名", "category": asset.category_id, "subtype": asset.subtype_id, "quantity": "1",
        "unit_of_measure": "台", "original_value": "6500", "net_value": "1200", "acquired_on": "2018-03-01",
        "address": "凤仪镇", "ownership": "confirmed", "usage_status": "normal", "loaded_at": loaded_at,
    }  # fmt: skip
    response = client.post(reverse("register:edit", args=[asset.pk]), data)
    assert response.status_code == 422
    assert "已被他人修改" in response.content.decode()
    assert Asset.objects.get(pk=asset.pk).name == "原名"


def test_a_gigantic_number_is_a_row_error_not_a_corrupt_file(client, alice):
    client.force_login(alice)
    client.post(reverse("register:import"), {"file": xlsx([good_row(**{"原值（元）": 1e30})])})
    batch = ImportBatch.objects.get()
    messages = [e["message"] for e in batch.errors]
    assert any("数值过大" in m for m in messages)
    assert not any("损坏" in m for m in messages)


def test_the_admin_role_cannot_make_itself_superuser(client, finance_bureau):
    ops = UserFactory(username="ops", organization=finance_bureau, is_staff=True, roles=[Role.ADMIN])
    client.force_login(ops)
    page = client.get(f"/admin/assets/user/{ops.pk}/change/")
    assert page.status_code == 200 and 'name="is_superuser"' not in page.content.decode()


def test_nobody_deletes_ledger_rows_or_moves_them_in_the_admin(client, finance_bureau, school, town):
    root = UserFactory(username="root", organization=finance_bureau, is_staff=True, is_superuser=True)
    asset = AssetFactory(holding_unit=school)
    client.force_login(root)
    assert client.get(f"/admin/assets/asset/{asset.pk}/delete/").status_code == 403
    page = client.get(f"/admin/assets/asset/{asset.pk}/change/").content.decode()
    assert 'name="holding_unit"' not in page
    assert User.objects.filter(pk=root.pk).exists()


def test_an_asset_in_normal_use_carries_no_idle_date():
    import datetime

    from django.core.exceptions import ValidationError

    asset = AssetFactory.build(usage_status="normal", idle_since=datetime.date(2019, 1, 1))
    with pytest.raises(ValidationError) as exc:
        asset.clean()
    assert "正常使用的资产不应填写停用日期" in exc.value.message_dict["idle_since"][0]


@pytest.mark.parametrize(
    ("persona", "url", "status", "text"), [("henry", "edit", 403, "无权访问"), ("bob", "detail", 404, "页面不存在")]
)
def test_denials_are_explained_in_chinese(request, client, school, persona, url, status, text):
    asset = AssetFactory(holding_unit=school)
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse(f"register:{url}", args=[asset.pk]))
    assert response.status_code == status
    assert text in response.content.decode()
