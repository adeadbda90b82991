import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from assets.models import Asset, AssetStatus, Organization, UsageStatus
from assets.uscc import validate_uscc
from core.formatting import mu_to_sqm, sqm_to_mu
from core.fsm import ConcurrentTransition, TransitionNotAllowed

from ..clock import TODAY
from ..factories import AssetFactory, OrganizationFactory, category, make_credit_code, subtype

pytestmark = pytest.mark.django_db


def errors_of(asset: Asset) -> dict:
    with pytest.raises(ValidationError) as exc:
        asset.clean()
    return exc.value.message_dict


class TestCreditCode:
    def test_it_accepts_a_code_with_the_right_check_character(self):
        validate_uscc(make_credit_code(12345))

    @pytest.mark.parametrize("code", ["9144030071526726XG", "91330100716105852F", "914403001922038216"])
    def test_it_accepts_published_codes_of_real_companies(self, code):
        validate_uscc(code)

    @pytest.mark.parametrize(
        ("code", "fragment"),
        [
            ("11513223000012", "18位"),
            ("11513223OOOOOOOOO1", "不允许的字符"),
            ("115ABC2300001234X0", "行政区划"),
        ],
    )
    def test_it_rejects_malformed_codes_in_chinese(self, code, fragment):
        with pytest.raises(ValidationError) as exc:
            validate_uscc(code)
        assert fragment in exc.value.messages[0]

    def test_it_rejects_a_wrong_check_digit(self):
        good = make_credit_code(777)
        wrong = good[:17] + ("0" if good[17] != "0" else "1")
        with pytest.raises(ValidationError) as exc:
            validate_uscc(wrong)
        assert "校验位" in exc.value.messages[0]

    def test_an_organization_with_a_bad_code_does_not_validate(self):
        org = Organization(name="某单位", short_name="某", kind="institution", credit_code="123")
        with pytest.raises(ValidationError) as exc:
            org.full_clean()
        assert "credit_code" in exc.value.message_dict


class TestAssetRules:
    def test_a_plain_computer_is_valid(self):
        AssetFactory.build(holding_unit=OrganizationFactory()).clean()

    def test_net_value_above_original_value_is_refused(self):
        asset = AssetFactory.build(original_value=Decimal(100), net_value=Decimal(101))
        assert errors_of(asset)["net_value"] == ["净值不能大于原值。"]

    def test_the_database_refuses_net_above_original_too(self):
        asset = AssetFactory(holding_unit=OrganizationFactory())
        with pytest.raises(IntegrityError), transaction.atomic():
            Asset.objects.filter(pk=asset.pk).update(net_value=asset.original_value + 1)

    def test_acquisition_in_the_future_is_refused(self):
        asset = AssetFactory.build(acquired_on=TODAY + datetime.timedelta(days=1))
        assert "取得日期不能晚于今天。" in errors_of(asset)["acquired_on"]

    def test_an_idle_asset_needs_its_idle_date(self):
        asset = AssetFactory.build(usage_status=UsageStatus.IDLE, idle_since=None)
        assert errors_of(asset)["idle_since"] == ["闲置资产须填写停用日期。"]

    def test_idle_since_cannot_precede_acquisition(self):
        asset = AssetFactory.build(
            usage_status=UsageStatus.IDLE, acquired_on=datetime.date(2020, 1, 1), idle_since=datetime.date(2019, 1, 1)
        )
        assert errors_of(asset)["idle_since"] == ["停用日期不能早于取得日期。"]

    def test_public_welfare_needs_a_subtype_to_find_its_department(self):
        asset = AssetFactory.build(category=category("public_welfare"), subtype=None)
        assert "须选择子类" in errors_of(asset)["subtype"][0]

    def test_a_subtype_of_another_category_is_refused(self):
        asset = AssetFactory.build(category=category("building"), subtype=subtype("land", "idle_land"), area_m2=10)
        assert errors_of(asset)["subtype"] == [
            "子类“闲置土地”不属于“房屋构筑物（含标准厂房、存量商品房）”，可选：标准厂房、存量商品房、办公用房、经营性用房。"
        ]

    def test_land_and_buildings_need_an_area(self):
        asset = AssetFactory.build(category=category("building"), subtype=None, area_m2=None)
        assert "须填写面积" in errors_of(asset)["area_m2"][0]

    def test_coordinates_come_in_pairs(self):
        asset = AssetFactory.build(latitude=Decimal("31.68"), longitude=None)
        assert "经度和纬度须同时填写或同时留空。" in errors_of(asset)["longitude"]

    def test_mu_and_square_metres_convert_both_ways(self):
        assert mu_to_sqm(Decimal(15)) == Decimal("10000.00")
        assert sqm_to_mu(Decimal("666.67")) == Decimal("1.00")
        assert sqm_to_mu(mu_to_sqm(Decimal("37.25"))) == Decimal("37.25")

    def test_idle_months_count_whole_months(self):
        asset = AssetFactory.build(idle_since=datetime.date(2026, 5, 21))
        assert asset.idle_months(today=datetime.date(2026, 11, 20)) == 5
        assert asset.idle_months(today=datetime.date(2026, 11, 21)) == 6


class TestLeadDepartment:
    def test_a_school_building_routes_to_education(self):
        asset = AssetFactory.build(category=category("public_welfare"), subtype=subtype("public_welfare", "school"))
        assert asset.lead_department.name == "茂县教育局"

    def test_an_elderly_home_routes_to_civil_affairs_and_a_clinic_to_health(self):
        home = AssetFactory.build(
            category=category("public_welfare"), subtype=subtype("public_welfare", "elderly_care")
        )
        clinic = AssetFactory.build(category=category("public_welfare"), subtype=subtype("public_welfare", "medical"))
        assert home.lead_department.name == "茂县民政局"
        assert clinic.lead_department.name == "茂县卫生健康局"

    def test_other_subtypes_follow_their_category(self):
        asset = AssetFactory.build(category=category("building"), subtype=subtype("building", "standard_factory"))
        assert asset.lead_department.name == "茂县住房和城乡建设局"

    def test_the_queryset_finds_the_same_department(self, school):
        AssetFactory(
            holding_unit=school, category=category("public_welfare"), subtype=subtype("public_welfare", "school")
        )
        AssetFactory(holding_unit=school)  # general equipment → 机关事务管理局
        education = Organization.objects.get(name="茂县教育局")
        assert [a.category.code for a in Asset.objects.led_by(education)] == ["public_welfare"]


class TestLedgerStatus:
    def test_status_cannot_be_assigned(self, school):
        asset = AssetFactory(holding_unit=school)
        with pytest.raises(AttributeError):
            asset.status = AssetStatus.DISPOSED

    def test_a_case_moves_the_status_and_back(self, school):
        asset = AssetFactory(holding_unit=school)
        asset.open_case()
        asset.save()
        assert Asset.objects.get(pk=asset.pk).status == AssetStatus.IN_CASE
        asset.return_to_use()
        asset.save()
        assert Asset.objects.get(pk=asset.pk).status == AssetStatus.IN_USE

    def test_closing_a_case_that_never_opened_is_refused(self, school):
        asset = AssetFactory(holding_unit=school)
        with pytest.raises(TransitionNotAllowed):
            asset.mark_disposed()

    def test_reallocation_moves_the_asset_to_the_receiving_unit(self, school, town):
        asset = AssetFactory(holding_unit=school)
        asset.open_case()
        asset.reallocate_to(town)
        asset.save()
        fetched = Asset.objects.get(pk=asset.pk)
        assert (fetched.status, fetched.holding_unit) == (AssetStatus.IN_USE, town)

    def test_reallocation_to_the_same_unit_is_refused(self, school):
        asset = AssetFactory(holding_unit=school)
        asset.open_case()
        with pytest.raises(ValidationError):
            asset.reallocate_to(school)

    def test_two_stale_copies_cannot_both_transition(self, school):
        asset = AssetFactory(holding_unit=school)
        first, second = Asset.objects.get(pk=asset.pk), Asset.objects.get(pk=asset.pk)
        first.open_case()
        first.save()
        second.open_case()
        with pytest.raises(ConcurrentTransition), transaction.atomic():
            second.save()
        assert Asset.objects.get(pk=asset.pk).status == AssetStatus.IN_CASE
