"""factory_boy factories for the register; categories come from the seeding migration."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from assets.models import Asset, Category, CategorySubtype, Organization, OrganizationKind, User
from assets.uscc import check_character

PASSWORD = "correct-horse-42"


def make_credit_code(n: int) -> str:
    # 1 = 机构编制, 1 = 机关; 513223 = 茂县's division code; the rest a serial with a valid check digit.
    first17 = f"11513223{n:08d}0"[:17]
    return first17 + check_character(first17)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试单位{n}")
    short_name = factory.Sequence(lambda n: f"测{n}")
    kind = OrganizationKind.INSTITUTION
    credit_code = factory.Sequence(lambda n: make_credit_code(90000 + n))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    organization = factory.SubFactory(OrganizationFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        self.save()
        for role in extracted or ():
            self.groups.add(Group.objects.get_or_create(name=role)[0])


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def subtype(category_code: str, code: str) -> CategorySubtype:
    return CategorySubtype.objects.get(category__code=category_code, code=code)


class AssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Asset

    code = factory.Sequence(lambda n: f"ZC-T-{n:06d}")
    name = factory.Sequence(lambda n: f"台式计算机{n}")
    category = factory.LazyFunction(lambda: category("general_equipment"))
    subtype = factory.LazyFunction(lambda: subtype("general_equipment", "computer"))
    holding_unit = factory.SubFactory(OrganizationFactory)
    quantity = Decimal(1)
    unit_of_measure = "台"
    original_value = Decimal("6500.00")
    net_value = Decimal("1200.00")
    acquired_on = datetime.date(2018, 3, 1)
    address = "茂县凤仪镇"
    responsible_person = "张三"
