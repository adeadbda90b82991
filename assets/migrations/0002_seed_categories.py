"""Seeds the 8 categories, their lead departments (seed 000, 二: 责任单位, 牵头单位 first) and the
minimum service lives. Everything here stays editable in the admin afterwards."""

from django.db import migrations

# (name, short name) of each lead department named in seed 000's 责任单位 lines.
LEAD_DEPARTMENTS = {
    "natural_resources": ("茂县自然资源局", "茂自然资源"),
    "housing": ("茂县住房和城乡建设局", "茂住建"),
    "science_agriculture": ("茂县科学技术和农业畜牧局", "茂科农"),
    "culture_tourism": ("茂县文化体育和旅游局", "茂文体旅"),
    "education": ("茂县教育局", "茂教"),
    "civil_affairs": ("茂县民政局", "茂民政"),
    "health": ("茂县卫生健康局", "茂卫健"),
    "government_affairs": ("茂县机关事务管理局", "茂机管"),
}

# code, name, lead department, subtype required, area required, area unit
CATEGORIES = [
    ("land", "土地资源", "natural_resources", False, True, "mu"),  # 二(一)
    ("mineral", "矿产资源", "natural_resources", False, False, "mu"),  # 二(二)
    ("building", "房屋构筑物（含标准厂房、存量商品房）", "housing", False, True, "m2"),  # 二(三)
    (
        "rural",
        "农村经营性资产（帮扶项目资产、种养基地、集体经营性资产）",
        "science_agriculture",
        False,
        False,
        "m2",
    ),  # 二(四)
    ("infrastructure", "公共基础设施（含旅游景区）", "culture_tourism", False, False, "m2"),  # 二(五)
    ("research_equipment", "科研仪器设备", "science_agriculture", False, False, "m2"),  # 二(六)
    (
        "public_welfare",
        "公益性资产（闲置校舍、养老机构、医疗场所、文体场馆）",
        "education",
        True,
        False,
        "m2",
    ),  # 二(七)
    ("general_equipment", "其他：办公设备、专用设备、通用设备", "government_affairs", False, False, "m2"),  # 二(八)
]

# category, code, name, lead department overriding the category's (None: the category's)
SUBTYPES = [
    ("land", "industrial_land", "工业用地", None),
    ("land", "unsupplied_land", "批而未供土地", None),
    ("land", "idle_land", "闲置土地", None),
    ("land", "other_land", "其他用地", None),
    ("mineral", "mining_right", "矿业权", None),
    ("mineral", "mine_site", "历史遗留矿山", None),
    ("building", "standard_factory", "标准厂房", None),
    ("building", "commercial_housing", "存量商品房", None),
    ("building", "office_building", "办公用房", None),
    ("building", "business_premises", "经营性用房", None),
    ("rural", "assistance_project", "帮扶项目资产", None),
    ("rural", "farming_base", "种养基地", None),
    ("rural", "collective_asset", "集体经营性资产", None),
    ("infrastructure", "scenic_area", "旅游景区", None),
    ("infrastructure", "public_facility", "公用设施", None),
    ("research_equipment", "large_instrument", "大型科研仪器", None),
    ("research_equipment", "lab_equipment", "实验设备", None),
    # 公益性资产 routes by sub-type: 校舍 → 教育局, 养老 → 民政局, 医疗 → 卫健局 (seed 000, 二(七)).
    ("public_welfare", "school", "闲置校舍", "education"),
    ("public_welfare", "elderly_care", "养老机构", "civil_affairs"),
    ("public_welfare", "medical", "医疗场所", "health"),
    ("public_welfare", "sports_culture", "文体场馆", "culture_tourism"),
    ("general_equipment", "computer", "计算机", None),
    ("general_equipment", "copier", "复印机", None),
    ("general_equipment", "office_furniture", "办公家具", None),
    ("general_equipment", "office_equipment", "其他办公设备", None),
    ("general_equipment", "special_equipment", "专用设备", None),
    ("general_equipment", "general_device", "通用设备", None),
    ("general_equipment", "vehicle", "车辆", None),
]

BASIS = "《中央行政单位通用办公设备家具配置标准》（财资〔2016〕27号）"
SERVICE_LIVES = [
    ("general_equipment", "computer", "计算机", 6, BASIS),
    ("general_equipment", "copier", "复印机", 6, BASIS),
    ("general_equipment", "office_furniture", "办公家具", 15, BASIS),
]


def seed(apps, schema_editor):
    Organization = apps.get_model("assets", "Organization")
    Category = apps.get_model("assets", "Category")
    CategorySubtype = apps.get_model("assets", "CategorySubtype")
    MinimumServiceLife = apps.get_model("assets", "MinimumServiceLife")

    departments = {}
    for key, (name, short_name) in LEAD_DEPARTMENTS.items():
        departments[key], _ = Organization.objects.get_or_create(
            name=name, defaults={"short_name": short_name, "kind": "industry_department"}
        )
    categories = {}
    for order, (code, name, lead, subtype_required, area_required, area_unit) in enumerate(CATEGORIES, start=1):
        categories[code], _ = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "lead_department": departments[lead],
                "subtype_required": subtype_required,
                "area_required": area_required,
                "area_unit": area_unit,
                "sort_order": order,
            },
        )
    subtypes = {}
    for order, (category, code, name, lead) in enumerate(SUBTYPES, start=1):
        subtypes[category, code], _ = CategorySubtype.objects.get_or_create(
            category=categories[category],
            code=code,
            defaults={"name": name, "lead_department": departments[lead] if lead else None, "sort_order": order},
        )
    for category, subtype, name, years, basis in SERVICE_LIVES:
        MinimumServiceLife.objects.get_or_create(
            category=categories[category],
            subtype=subtypes[category, subtype],
            defaults={"name": name, "years": years, "basis": basis},
        )


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
