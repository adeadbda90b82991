import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from assets.models import Asset, AssetStatus, UsageStatus

from ..clock import TODAY
from ..factories import PASSWORD, AssetFactory, UserFactory, category, subtype

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(school, town):
    """A computer and a school building at the school; a computer and a factory at the town."""
    return {
        "school_pc": AssetFactory(code="MX-YZ-PC-001", name="台式计算机", holding_unit=school),
        "school_building": AssetFactory(
            code="MX-YZ-XS-001",
            name="原初中部教学楼",
            holding_unit=school,
            category=category("public_welfare"),
            subtype=subtype("public_welfare", "school"),
            area_m2=Decimal("2400"),
            original_value=Decimal("3600000"),
            net_value=Decimal("1800000"),
            address="凤仪镇南街12号",
        ),
        "town_pc": AssetFactory(code="MX-FY-PC-001", name="笔记本电脑", holding_unit=town),
        "town_factory": AssetFactory(
            code="MX-FY-CF-001",
            name="标准厂房1号",
            holding_unit=town,
            category=category("building"),
            subtype=subtype("building", "standard_factory"),
            area_m2=Decimal("5000"),
            original_value=Decimal("8000000"),
            net_value=Decimal("6000000"),
        ),
    }


def codes_seen(client) -> set[str]:
    response = client.get(reverse("register:list"))
    assert response.status_code == 200
    return {a.code for a in response.context["page_obj"]}


def asset_form_data(**overrides) -> dict:
    data = {
        "code": "MX-YZ-PC-099",
        "name": "激光打印机",
        "category": category("general_equipment").pk,
        "subtype": subtype("general_equipment", "office_equipment").pk,
        "quantity": "1",
        "unit_of_measure": "台",
        "original_value": "3200",
        "net_value": "800",
        "acquired_on": "2019-04-01",
        "address": "凤仪镇南街12号",
        "ownership": "confirmed",
        "usage_status": "normal",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


class TestLogin:
    def test_an_anonymous_visitor_is_sent_to_the_login_page(self, client):
        response = client.get(reverse("register:list"))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_a_user_logs_in_and_lands_on_a_home_page_of_what_they_can_do(self, client, alice):
        response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}, follow=True)
        body = response.content.decode()
        assert response.status_code == 200
        assert "李晓红" in body and "茂县第一中学" in body and "经办人" in body
        assert "登记资产" in body and "导入台账" in body

    def test_a_wrong_password_is_refused_in_chinese(self, client, alice):
        response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
        assert response.status_code in (200, 422)
        assert "用户名或密码不正确（区分大小写）。连续输错 5 次，账号将被锁定 15 分钟。" in response.content.decode()

    def test_a_supervisor_home_offers_no_registration(self, client, sam):
        client.force_login(sam)
        body = client.get("/").content.decode()
        assert "资产台账" in body and "登记资产" not in body and "导入台账" not in body

    def test_a_user_without_a_role_is_told_so_and_kept_out_of_the_register(self, client, school):
        nobody = UserFactory(username="nobody", organization=school)
        client.force_login(nobody)
        assert "尚未分配角色" in client.get("/").content.decode()
        assert client.get(reverse("register:list")).status_code == 403


class TestScoping:
    @pytest.mark.parametrize(
        ("persona", "expected"),
        [
            ("alice", {"school_pc", "school_building"}),
            ("henry", {"school_pc", "school_building"}),
            ("bob", {"town_pc", "town_factory"}),
            ("rita", {"school_pc", "town_pc"}),  # 机关事务管理局 leads general equipment
            ("hugo", {"town_factory"}),  # 住建局 leads buildings
            ("fiona", {"school_pc", "school_building", "town_pc", "town_factory"}),
            ("sam", {"school_pc", "school_building", "town_pc", "town_factory"}),
            ("adam", {"school_pc", "school_building", "town_pc", "town_factory"}),
        ],
    )
    def test_each_role_sees_exactly_its_assets(self, request, client, ledger, persona, expected):
        client.force_login(request.getfixturevalue(persona))
        assert codes_seen(client) == {ledger[k].code for k in expected}

    def test_the_education_bureau_sees_school_buildings_by_subtype(self, client, ledger, education_bureau):
        reviewer = UserFactory(username="edu", organization=education_bureau, roles=["dept_reviewer"])
        client.force_login(reviewer)
        assert codes_seen(client) == {ledger["school_building"].code}

    @pytest.mark.parametrize(("persona", "key"), [("alice", "town_pc"), ("bob", "school_pc"), ("hugo", "school_pc")])
    def test_another_units_asset_by_url_is_404(self, request, client, ledger, persona, key):
        client.force_login(request.getfixturevalue(persona))
        asset = ledger[key]
        assert client.get(reverse("register:detail", args=[asset.pk])).status_code == 404
        assert client.get(reverse("register:edit", args=[asset.pk])).status_code == 404

    @pytest.mark.parametrize("persona", ["alice", "henry", "rita", "fiona", "sam", "adam"])
    def test_those_who_may_see_an_asset_open_its_file(self, request, client, ledger, persona):
        client.force_login(request.getfixturevalue(persona))
        response = client.get(reverse("register:detail", args=[ledger["school_pc"].pk]))
        assert response.status_code == 200
        assert "MX-YZ-PC-001" in response.content.decode()

    def test_the_export_holds_only_visible_assets(self, client, ledger, bob):
        client.force_login(bob)
        response = client.get(reverse("register:export"))
        assert response.status_code == 200
        import io

        import openpyxl

        ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
        codes = {row[0] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]}
        assert codes == {"MX-FY-PC-001", "MX-FY-CF-001"}


class TestEditing:
    def test_a_clerk_registers_an_asset_for_her_unit(self, client, alice, school):
        client.force_login(alice)
        response = client.post(reverse("register:add"), asset_form_data())
        asset = Asset.objects.get(code="MX-YZ-PC-099")
        assert response.status_code == 302 and response["Location"] == reverse("register:detail", args=[asset.pk])
        assert (asset.holding_unit, asset.created_by, asset.status) == (school, alice, AssetStatus.IN_USE)

    def test_a_clerk_cannot_register_for_another_unit(self, client, alice, school, town):
        client.force_login(alice)
        response = client.post(reverse("register:add"), asset_form_data(holding_unit=town.pk))
        assert response.status_code == 302
        assert Asset.objects.get(code="MX-YZ-PC-099").holding_unit == school

    def test_an_administrator_must_choose_a_real_unit(self, client, adam):
        client.force_login(adam)
        response = client.post(reverse("register:add"), asset_form_data(holding_unit=999999))
        assert response.status_code == 422
        assert "选择一个有效的选项" in response.content.decode()
        assert not Asset.objects.filter(code="MX-YZ-PC-099").exists()

    def test_bad_input_comes_back_with_chinese_messages_next_to_the_fields(self, client, alice, school):
        client.force_login(alice)
        data = asset_form_data(
            holding_unit=school.pk,
            net_value="5000",
            original_value="3200",
            acquired_on="2999-01-01",
            usage_status="idle",
            idle_since=None,
            quantity="abc",
        )
        response = client.post(reverse("register:add"), data)
        body = response.content.decode()
        assert response.status_code == 422
        for message in ("净值不能大于原值。", "取得日期不能晚于今天。", "闲置资产须填写停用日期。", "输入一个数字。"):
            assert message in body
        assert "请修改下面标红的项目后再保存。" in body
        assert 'value="激光打印机"' in body  # what was typed is kept
        assert not Asset.objects.filter(code="MX-YZ-PC-099").exists()

    def test_a_duplicate_code_is_refused(self, client, alice, school, ledger):
        client.force_login(alice)
        response = client.post(reverse("register:add"), asset_form_data(code="MX-FY-PC-001", holding_unit=school.pk))
        assert response.status_code == 422
        assert "资产编号" in response.content.decode() and "已存在" in response.content.decode()

    def test_land_may_be_entered_in_mu(self, client, alice, school):
        client.force_login(alice)
        data = asset_form_data(
            holding_unit=school.pk,
            category=category("land").pk,
            subtype=subtype("land", "idle_land").pk,
            area_mu="15",
            code="MX-YZ-TD-001",
        )
        assert client.post(reverse("register:add"), data).status_code == 302
        assert Asset.objects.get(code="MX-YZ-TD-001").area_m2 == Decimal("10000.00")

    def test_area_in_mu_and_sqm_must_agree(self, client, alice, school):
        client.force_login(alice)
        data = asset_form_data(
            holding_unit=school.pk,
            category=category("land").pk,
            subtype=subtype("land", "idle_land").pk,
            area_mu="15",
            area_m2="2000",
            code="MX-YZ-TD-002",
        )
        response = client.post(reverse("register:add"), data)
        assert response.status_code == 422
        assert "面积（亩）与面积（㎡）不一致" in response.content.decode()

    def test_land_saved_unchanged_keeps_agreeing_with_its_rounded_mu(self, client, alice, school):
        land = AssetFactory(
            code="MX-YZ-TD-003",
            holding_unit=school,
            category=category("land"),
            subtype=subtype("land", "idle_land"),
            area_m2=Decimal("1003"),
        )
        client.force_login(alice)
        page = client.get(reverse("register:edit", args=[land.pk]))
        assert page.context["form"]["area_mu"].initial == Decimal("1.50")
        data = asset_form_data(
            category=category("land").pk,
            subtype=subtype("land", "idle_land").pk,
            area_m2="1003",
            area_mu="1.50",
            loaded_at=page.context["loaded_at"],
        )
        assert client.post(reverse("register:edit", args=[land.pk]), data).status_code == 302
        assert Asset.objects.get(pk=land.pk).area_m2 == Decimal("1003.00")

    def test_a_clerk_edits_her_assets_but_not_its_code_unit_or_status(self, client, alice, ledger, town):
        client.force_login(alice)
        asset = ledger["school_pc"]
        page = client.get(reverse("register:edit", args=[asset.pk]))
        data = asset_form_data(
            code="HACKED",
            holding_unit=town.pk,
            name="台式计算机（已更换硬盘）",
            status="disposed",
            loaded_at=page.context["loaded_at"],
        )
        response = client.post(reverse("register:edit", args=[asset.pk]), data)
        assert response.status_code == 302
        fetched = Asset.objects.get(pk=asset.pk)
        assert fetched.name == "台式计算机（已更换硬盘）"
        assert (fetched.code, fetched.holding_unit_id, fetched.status) == (
            "MX-YZ-PC-001",
            asset.holding_unit_id,
            AssetStatus.IN_USE,
        )

    def test_an_edit_over_someone_elses_newer_save_is_refused(self, client, alice, ledger):
        client.force_login(alice)
        asset = ledger["school_pc"]
        loaded_at = client.get(reverse("register:edit", args=[asset.pk])).context["loaded_at"]
        Asset.objects.get(pk=asset.pk).save()  # someone else saved meanwhile
        response = client.post(
            reverse("register:edit", args=[asset.pk]), asset_form_data(name="我的修改", loaded_at=loaded_at)
        )
        assert response.status_code == 422
        assert "已被他人修改" in response.content.decode()
        assert Asset.objects.get(pk=asset.pk).name == "台式计算机"

    def test_an_asset_in_a_case_cannot_be_edited(self, client, alice, ledger):
        asset = Asset.objects.get(pk=ledger["school_pc"].pk)
        asset.open_case()
        asset.save()
        client.force_login(alice)
        assert client.get(reverse("register:edit", args=[asset.pk])).status_code == 403

    @pytest.mark.parametrize("persona", ["henry", "rita", "fiona", "sam"])
    def test_other_roles_may_not_edit_a_visible_asset(self, request, client, ledger, persona):
        client.force_login(request.getfixturevalue(persona))
        asset = ledger["school_pc"]
        assert client.get(reverse("register:edit", args=[asset.pk])).status_code == 403
        assert client.post(reverse("register:edit", args=[asset.pk]), asset_form_data()).status_code == 403
        assert Asset.objects.get(pk=asset.pk).name == "台式计算机"

    @pytest.mark.parametrize("persona", ["henry", "rita", "fiona", "sam"])
    def test_other_roles_may_not_register_assets(self, request, client, school, persona):
        client.force_login(request.getfixturevalue(persona))
        assert client.get(reverse("register:add")).status_code == 403
        assert client.post(reverse("register:add"), asset_form_data(holding_unit=school.pk)).status_code == 403

    def test_an_administrator_may_register_for_any_unit(self, client, adam, town):
        client.force_login(adam)
        assert client.post(reverse("register:add"), asset_form_data(holding_unit=town.pk)).status_code == 302
        assert Asset.objects.get(code="MX-YZ-PC-099").holding_unit == town


class TestLedgerList:
    @pytest.fixture
    def many(self, school):
        today = TODAY
        for i in range(120):
            AssetFactory(
                code=f"MX-YZ-{i:04d}",
                name=f"办公桌{i}" if i % 2 else f"文件柜{i}",
                holding_unit=school,
                original_value=Decimal(1000 + i),
                net_value=Decimal(100),
                area_m2=Decimal(i % 3),
                address="南新镇" if i < 10 else "凤仪镇",
                usage_status=UsageStatus.IDLE if i < 30 else UsageStatus.NORMAL,
                idle_since=(today - datetime.timedelta(days=30 * (i + 1))) if i < 30 else None,
            )

    def test_it_pages_fifty_rows_at_a_time_with_totals_of_the_whole_filtered_set(self, client, alice, many):
        client.force_login(alice)
        first = client.get(reverse("register:list"))
        last = client.get(reverse("register:list"), {"page": 3})
        assert len(first.context["page_obj"]) == 50 and len(last.context["page_obj"]) == 20
        totals = first.context["totals"]
        assert totals["count"] == 120
        assert totals["original_value"] == sum(Decimal(1000 + i) for i in range(120))
        assert "第 1 / 3 页" in first.content.decode()
        assert "120" in first.content.decode() and "127,140.00 元" in first.content.decode()

    def test_it_searches_code_name_and_location(self, client, alice, many):
        client.force_login(alice)
        assert client.get(reverse("register:list"), {"q": "MX-YZ-0007"}).context["totals"]["count"] == 1
        assert client.get(reverse("register:list"), {"q": "文件柜"}).context["totals"]["count"] == 60
        assert client.get(reverse("register:list"), {"q": "南新"}).context["totals"]["count"] == 10

    def test_it_filters_by_idle_months(self, client, alice, many):
        client.force_login(alice)
        # idle for 30·(i+1) days, i < 30: more than 6 months means i ≥ 6 at least (~210 days).
        count = client.get(reverse("register:list"), {"idle_months": 6}).context["totals"]["count"]
        assert 23 <= count <= 25

    def test_it_filters_by_category_unit_and_status(self, client, fiona, ledger, school):
        client.force_login(fiona)
        params = {"category": category("public_welfare").pk, "unit": school.pk, "status": "in_use"}
        response = client.get(reverse("register:list"), params)
        assert [a.code for a in response.context["page_obj"]] == ["MX-YZ-XS-001"]

    def test_it_sorts_by_value_descending_and_back(self, client, alice, many):
        client.force_login(alice)
        down = client.get(reverse("register:list"), {"sort": "-original_value"}).context["page_obj"]
        up = client.get(reverse("register:list"), {"sort": "original_value"}).context["page_obj"]
        assert down[0].code == "MX-YZ-0119" and up[0].code == "MX-YZ-0000"

    def test_a_nonsense_filter_is_explained_not_a_crash(self, client, alice, many):
        client.force_login(alice)
        response = client.get(reverse("register:list"), {"idle_months": "-3", "page": "abc", "sort": "drop"})
        assert response.status_code == 200
        assert "确保该值大于或等于0" in response.content.decode()  # the wrong field's own error
        assert response.context["totals"]["count"] == 120

    def test_the_asset_page_shows_its_whole_file(self, client, alice, ledger):
        client.force_login(alice)
        body = client.get(reverse("register:detail", args=[ledger["school_building"].pk])).content.decode()
        for text in (
            "原初中部教学楼",
            "闲置校舍",
            "茂县教育局",
            "3,600,000.00 元",
            "2,400.00 m²",
            "凤仪镇南街12号",
            "佐证材料",
            "处置历程",
        ):
            assert text in body
