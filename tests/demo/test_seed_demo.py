import datetime
import hashlib
import re
from io import StringIO

import pytest
from django.core.management import call_command

from assets.models import (
    HOLDING_KINDS,
    Asset,
    Category,
    CategorySubtype,
    Organization,
    OrganizationKind,
    Role,
    UsageStatus,
    User,
)
from assets.uscc import validate_uscc
from demo.county import DEMO_PASSWORD, demo_county_load

from ..clock import TODAY

pytestmark = pytest.mark.django_db


# Every department named in seed 000's 责任单位 lines and in 三(一).
POLICY_DEPARTMENTS = [
    "茂县自然资源局",
    "茂县住房和城乡建设局",
    "茂县科学技术和农业畜牧局",
    "茂县文化体育和旅游局",
    "茂县教育局",
    "茂县民政局",
    "茂县卫生健康局",
    "茂县机关事务管理局",
    "茂县国有资产管理中心",
    "茂县经济和信息化局",
    "茂县发展和改革委员会",
    "茂县财政局",
    "茂县审计局",
    "茂县生态环境局",
    "茂县林业和草原局",
    "茂县应急管理局",
    "茂县交通运输局",
    "茂县水务局",
    "中共茂县委员会组织部",
    "茂县闲置低效资产资源盘活利用协调机制办公室",
]


@pytest.fixture
def demo():
    return demo_county_load(today=TODAY)


def holding_units():
    return Organization.objects.filter(kind__in=HOLDING_KINDS)


def snapshot() -> str:
    """A checksum over every value the demo writes."""
    orgs = list(Organization.objects.order_by("pk").values_list())
    users = [
        (*row, tuple(User.objects.get(pk=row[0]).groups.order_by("name").values_list("name", flat=True)))
        for row in User.objects.order_by("pk").values_list()
    ]
    assets = list(Asset.objects.order_by("pk").values_list())
    return hashlib.sha256(repr((orgs, users, assets)).encode()).hexdigest()


class TestOrganizations:
    def test_it_creates_every_department_named_in_the_policy(self, demo):
        names = set(Organization.objects.values_list("name", flat=True))
        assert set(POLICY_DEPARTMENTS) <= names

    def test_it_reuses_the_lead_departments_of_the_categories(self, demo):
        assert Organization.objects.filter(name="茂县教育局").count() == 1
        assert Category.objects.get(code="public_welfare").lead_department.name == "茂县教育局"
        assert CategorySubtype.objects.get(code="medical").lead_department.name == "茂县卫生健康局"

    def test_finance_audit_asset_center_and_coordination_office_have_their_kinds(self, demo):
        kinds = dict(Organization.objects.values_list("name", "kind"))
        assert kinds["茂县财政局"] == OrganizationKind.FINANCE
        assert kinds["茂县审计局"] == OrganizationKind.AUDIT
        assert kinds["茂县国有资产管理中心"] == OrganizationKind.ASSET_CENTER
        assert kinds["茂县闲置低效资产资源盘活利用协调机制办公室"] == OrganizationKind.COORDINATION_OFFICE

    def test_it_creates_holding_units_of_every_holding_kind(self, demo):
        units = holding_units()
        assert units.count() >= 10
        assert set(units.values_list("kind", flat=True)) == set(HOLDING_KINDS)
        assert units.filter(kind=OrganizationKind.TOWNSHIP).count() >= 3
        assert units.filter(kind=OrganizationKind.STATE_ENTERPRISE).count() >= 2

    def test_schools_and_hospitals_are_supervised_by_their_industry_department(self, demo):
        assert Organization.objects.get(name="茂县中学").supervising_department.name == "茂县教育局"
        assert Organization.objects.get(name="茂县人民医院").supervising_department.name == "茂县卫生健康局"
        assert Organization.objects.get(name="茂县养老服务中心").supervising_department.name == "茂县民政局"

    def test_every_organization_validates_and_all_but_the_coordination_office_have_a_credit_code(self, demo):
        for org in Organization.objects.all():
            org.full_clean()
            if org.kind == OrganizationKind.COORDINATION_OFFICE:
                assert org.credit_code is None  # an office inside 财政局, not a legal person
            else:
                validate_uscc(org.credit_code)
                assert org.credit_code[2:8] == "513223"

    def test_credit_codes_say_whether_a_unit_is_an_organ_an_institution_or_an_enterprise(self, demo):
        codes = dict(Organization.objects.values_list("name", "credit_code"))
        assert codes["茂县财政局"].startswith("11")
        assert codes["茂县中学"].startswith("12")
        assert codes["茂县文化旅游发展集团有限公司"].startswith("91513223MA")

    def test_it_keeps_an_organization_that_already_exists(self, finance_bureau):
        code = finance_bureau.credit_code

        demo_county_load(today=TODAY)

        finance_bureau.refresh_from_db()
        assert finance_bureau.credit_code == code
        assert Organization.objects.filter(name="茂县财政局").count() == 1
        assert User.objects.get(username="caizheng_sp").organization == finance_bureau


class TestUsers:
    def test_each_role_has_at_least_one_user(self, demo):
        for role in Role:
            assert User.objects.filter(groups__name=role).exists(), role

    def test_each_holding_unit_has_a_clerk_and_a_head(self, demo):
        for unit in holding_units():
            assert unit.users.filter(groups__name=Role.UNIT_CLERK).exists(), unit
            assert unit.users.filter(groups__name=Role.UNIT_HEAD).exists(), unit

    def test_each_lead_department_has_a_reviewer(self, demo):
        leads = set(Category.objects.values_list("lead_department", flat=True))
        leads |= set(CategorySubtype.objects.exclude(lead_department=None).values_list("lead_department", flat=True))
        for org in Organization.objects.filter(pk__in=leads):
            assert org.users.filter(groups__name=Role.DEPT_REVIEWER).exists(), org

    def test_finance_and_supervision_sit_where_the_policy_puts_them(self, demo):
        def org_of(username):
            return User.objects.get(username=username).organization.name

        assert org_of("caizheng_sp") == "茂县财政局"
        assert org_of("guozi_sp") == "茂县国有资产管理中心"
        assert org_of("shenji_jd") == "茂县审计局"
        assert org_of("xietiao_jd") == "茂县闲置低效资产资源盘活利用协调机制办公室"
        assert User.objects.get(username="zhongxue_jb").has_role(Role.UNIT_CLERK)
        assert User.objects.get(username="zhongxue_fzr").has_role(Role.UNIT_HEAD)

    def test_the_admin_is_a_superuser_at_the_finance_bureau(self, demo):
        admin = User.objects.get(username="admin")
        assert admin.is_staff and admin.is_superuser
        assert admin.has_role(Role.ADMIN)
        assert admin.organization.name == "茂县财政局"

    def test_demo_users_log_in_with_the_demo_password(self, demo, client):
        response = client.post("/accounts/login/", {"username": "zhujian_sh", "password": DEMO_PASSWORD})
        assert response.status_code == 302 and client.session["_auth_user_id"]

    def test_every_user_has_a_chinese_name(self, demo):
        for user in User.objects.all():
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,5}", user.full_name), user.username

    def test_it_does_not_reset_a_password_someone_changed(self, demo):
        user = User.objects.get(username="zhongxue_jb")
        user.set_password("my-own-secret-9")
        user.save()

        demo_county_load(today=TODAY)

        user.refresh_from_db()
        assert user.check_password("my-own-secret-9")


class TestAssets:
    def test_it_loads_about_300_assets(self, demo):
        assert 280 <= Asset.objects.count() <= 330
        assert demo.assets_created == Asset.objects.count()

    def test_assets_cover_every_category_and_every_subtype(self, demo):
        assert set(Asset.objects.values_list("category__code", flat=True)) == set(
            Category.objects.values_list("code", flat=True)
        )
        assert not CategorySubtype.objects.filter(assets=None).exists()

    def test_every_asset_passes_the_business_rules(self, demo):
        for asset in Asset.objects.select_related("category", "subtype"):
            asset.clean()
            assert asset.net_value <= asset.original_value
            assert datetime.date(2005, 1, 1) <= asset.acquired_on <= datetime.date(2024, 12, 31)
            assert len(asset.code) <= 64

    def test_codes_name_the_unit_and_the_category(self, demo):
        for code in Asset.objects.values_list("code", flat=True):
            assert re.fullmatch(r"MX-[A-Z]+-(TD|KC|FW|NC|JC|KY|GY|SB)-\d{4}", code), code

    def test_no_asset_is_held_by_the_department_that_verifies_it(self, demo):
        for asset in Asset.objects.select_related("category", "subtype"):
            assert asset.holding_unit_id != asset.lead_department.pk, asset

    def test_usage_is_a_realistic_mix(self, demo):
        total = Asset.objects.count()

        def share(usage):
            return Asset.objects.filter(usage_status=usage).count() / total

        assert 0.35 <= share(UsageStatus.IDLE) <= 0.45
        assert 0.10 <= share(UsageStatus.LOW_EFFICIENCY) <= 0.20
        assert 0.03 <= share(UsageStatus.OVER_STANDARD) <= 0.07

    def test_some_assets_are_idle_for_more_than_six_months_and_a_few_for_less(self, demo):
        months = [a.idle_months(TODAY) for a in Asset.objects.filter(usage_status=UsageStatus.IDLE)]
        assert sum(m >= 6 for m in months) > 80
        assert 1 <= sum(m < 6 for m in months) <= 20
        assert max(months) <= 40

    def test_idle_assets_carry_a_reason_a_direction_a_person_and_a_deadline(self, demo):
        for asset in Asset.objects.filter(usage_status=UsageStatus.IDLE):
            assert asset.idle_reason and asset.direction and asset.direction_note
            assert asset.responsible_person
            assert datetime.date(2026, 1, 1) <= asset.deadline <= datetime.date(2027, 12, 31)

    def test_values_and_areas_are_plausible(self, demo):
        computers = Asset.objects.filter(subtype__code="computer")
        assert all(4000 <= a.original_value <= 9000 for a in computers)
        for asset in Asset.objects.filter(category__code__in=["building", "public_welfare"]):
            assert 500_000 <= asset.original_value <= 8_000_000, asset
            assert 200 <= asset.area_m2 <= 6000, asset
        assert not Asset.objects.filter(category__code="land", area_m2=None).exists()

    def test_most_real_estate_is_registered_with_a_certificate(self, demo):
        real_estate = Asset.objects.filter(category__code__in=["land", "building"])
        registered = real_estate.filter(certificate_no__regex=r"^川\(\d{4}\)茂县不动产权第\d{7}号$")
        assert registered.count() >= real_estate.count() // 2

    def test_every_asset_stays_in_use_on_the_ledger(self, demo):
        assert set(Asset.objects.values_list("status", flat=True)) == {"in_use"}


class TestIdempotence:
    def test_running_it_twice_changes_nothing(self, demo):
        before = (Organization.objects.count(), User.objects.count(), Asset.objects.count(), snapshot())

        again = demo_county_load(today=TODAY)

        after = (Organization.objects.count(), User.objects.count(), Asset.objects.count(), snapshot())
        assert after == before
        assert (again.organizations_created, again.users_created, again.assets_created) == (0, 0, 0)

    def test_it_adds_back_only_what_is_missing(self, demo):
        Asset.objects.filter(code="MX-ZHONGXUE-GY-0001").delete()
        before = set(Asset.objects.values_list("code", "original_value", "idle_since"))

        again = demo_county_load(today=TODAY)

        assert again.assets_created == 1
        after = set(Asset.objects.values_list("code", "original_value", "idle_since"))
        assert before < after and len(after - before) == 1


class TestCommand:
    # The demo's cases (demo/cases.py) are walked in tests/demo/test_demo_cases.py, committing as the browser does.
    def test_the_command_prints_the_logins_and_the_counts(self):
        out = StringIO()

        call_command("seed_demo", "--without-cases", stdout=out)

        text = out.getvalue()
        for username in ("admin", "zhongxue_jb", "zhongxue_fzr", "zhujian_sh", "caizheng_sp", "shenji_jd"):
            assert re.search(rf"^{username}\s+{DEMO_PASSWORD}\s", text, re.MULTILINE), username
        assert "茂县中学" in text and "经办人" in text
        assert f"资产 {Asset.objects.count()} 项（新建 {Asset.objects.count()}）" in text

    def test_a_second_run_of_the_command_creates_nothing(self):
        call_command("seed_demo", "--today", TODAY.isoformat(), "--without-cases", stdout=StringIO())
        out = StringIO()

        call_command("seed_demo", "--today", TODAY.isoformat(), "--without-cases", stdout=out)

        assert "（新建 0）" in out.getvalue()
        assert "新建 1" not in out.getvalue()
