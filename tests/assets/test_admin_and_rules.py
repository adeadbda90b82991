import pytest

from assets.models import Asset, AssetStatus, Category, MinimumServiceLife, Role

from ..factories import AssetFactory, UserFactory

pytestmark = pytest.mark.django_db

LEADS = {
    "land": "茂县自然资源局",
    "mineral": "茂县自然资源局",
    "building": "茂县住房和城乡建设局",
    "rural": "茂县科学技术和农业畜牧局",
    "infrastructure": "茂县文化体育和旅游局",
    "research_equipment": "茂县科学技术和农业畜牧局",
    "public_welfare": "茂县教育局",
    "general_equipment": "茂县机关事务管理局",
}


def test_the_eight_categories_are_seeded_with_their_lead_departments():
    assert {c.code: c.lead_department.name for c in Category.objects.select_related("lead_department")} == LEADS


def test_minimum_service_lives_are_seeded():
    lives = {life.subtype.code: life.years for life in MinimumServiceLife.objects.select_related("subtype")}
    assert lives == {"computer": 6, "copier": 6, "office_furniture": 15}


def test_every_role_has_its_group():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


@pytest.fixture
def superuser(finance_bureau):
    return UserFactory(username="root", organization=finance_bureau, is_staff=True, is_superuser=True)


def test_an_administrator_edits_a_categorys_lead_department(client, finance_bureau):
    admin_user = UserFactory(username="ops", organization=finance_bureau, is_staff=True, roles=[Role.ADMIN])
    client.force_login(admin_user)
    category = Category.objects.get(code="rural")
    response = client.get(f"/admin/assets/category/{category.pk}/change/")
    assert response.status_code == 200
    assert client.get("/admin/assets/organization/").status_code == 200


def test_the_admin_cannot_set_an_assets_status(client, superuser, school):
    asset = AssetFactory(holding_unit=school)
    client.force_login(superuser)
    page = client.get(f"/admin/assets/asset/{asset.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    data = {
        f: getattr(asset, f)
        for f in (
            "code",
            "name",
            "quantity",
            "unit_of_measure",
            "original_value",
            "net_value",
            "address",
            "ownership",
            "usage_status",
        )
    }
    data.update(
        category=asset.category_id,
        subtype=asset.subtype_id,
        holding_unit=school.pk,
        acquired_on="2018-03-01",
        status=AssetStatus.DISPOSED,
    )
    response = client.post(f"/admin/assets/asset/{asset.pk}/change/", data)
    assert response.status_code == 302
    assert Asset.objects.get(pk=asset.pk).status == AssetStatus.IN_USE


@pytest.mark.parametrize("persona", ["alice", "henry", "rita", "fiona", "sam"])
def test_daily_users_are_kept_out_of_the_admin(request, client, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/admin/").status_code == 302  # to the admin login, as non-staff
