"""The demo county: 茂县's departments, holding units, their people and a ledger of about 300 assets."""

import datetime
import functools
import hashlib
import random
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assets.imports import import_batch_commit, import_batch_create, ledger_export_workbook
from assets.models import (
    Asset,
    Category,
    CategorySubtype,
    Direction,
    ImportStatus,
    Organization,
    OrganizationKind,
    Ownership,
    Role,
    UsageStatus,
    User,
    mu_to_sqm,
)
from assets.services import role_groups_ensure
from assets.uscc import ALPHABET, check_character

# Set only when a demo user is created: a password someone changed stays changed.
DEMO_PASSWORD = "panhuo2026"
# Fixed, so that every run generates the same ledger and a second run finds every code already there.
RANDOM_SEED = 513223
DIVISION_CODE = "513223"  # 茂县

K = OrganizationKind


# -- organizations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    name: str
    short_name: str
    kind: str
    key: str  # pinyin: the prefix of its users' names and of its asset codes
    supervisor: str | None = None  # 主管部门, by name
    address: str = ""  # where its equipment is kept
    has_credit_code: bool = True


# Lead departments first (seeded by migration 0002; looked up by name, same short names), then the
# other departments of seed 000's 责任单位 lines and 三(一), then the holding units.
LEAD_DEPARTMENTS = [
    OrgSpec("茂县自然资源局", "茂自然资源", K.INDUSTRY_DEPARTMENT, "ziran"),
    OrgSpec("茂县住房和城乡建设局", "茂住建", K.INDUSTRY_DEPARTMENT, "zhujian"),
    OrgSpec("茂县科学技术和农业畜牧局", "茂科农", K.INDUSTRY_DEPARTMENT, "kenong"),
    OrgSpec("茂县文化体育和旅游局", "茂文体旅", K.INDUSTRY_DEPARTMENT, "wentilv"),
    OrgSpec("茂县教育局", "茂教", K.INDUSTRY_DEPARTMENT, "jiaoyu"),
    OrgSpec("茂县民政局", "茂民政", K.INDUSTRY_DEPARTMENT, "minzheng"),
    OrgSpec("茂县卫生健康局", "茂卫健", K.INDUSTRY_DEPARTMENT, "weijian"),
    OrgSpec("茂县机关事务管理局", "茂机管", K.INDUSTRY_DEPARTMENT, "jiguan"),
]

OTHER_DEPARTMENTS = [
    OrgSpec("茂县财政局", "茂财", K.FINANCE, "caizheng"),
    OrgSpec("茂县国有资产管理中心", "茂国资", K.ASSET_CENTER, "guozi"),
    OrgSpec("茂县审计局", "茂审", K.AUDIT, "shenji"),
    # 协调机制办设在县财政局 (seed 000, 三(一)): an office, not a legal person, so it has no credit code.
    OrgSpec(
        "茂县闲置低效资产资源盘活利用协调机制办公室",
        "茂盘活办",
        K.COORDINATION_OFFICE,
        "xietiao",
        has_credit_code=False,
    ),
    OrgSpec("茂县经济和信息化局", "茂经信", K.INDUSTRY_DEPARTMENT, "jingxin"),
    OrgSpec("茂县发展和改革委员会", "茂发改", K.INDUSTRY_DEPARTMENT, "fagai"),
    OrgSpec("茂县生态环境局", "茂环", K.INDUSTRY_DEPARTMENT, "shengtai"),
    OrgSpec("茂县林业和草原局", "茂林草", K.INDUSTRY_DEPARTMENT, "lincao"),
    OrgSpec("茂县应急管理局", "茂应急", K.INDUSTRY_DEPARTMENT, "yingji"),
    OrgSpec("茂县交通运输局", "茂交", K.INDUSTRY_DEPARTMENT, "jiaotong"),
    OrgSpec("茂县水务局", "茂水务", K.INDUSTRY_DEPARTMENT, "shuiwu"),
]

HOLDING_UNITS = [
    OrgSpec("茂县中学", "茂中学", K.INSTITUTION, "zhongxue", "茂县教育局", "茂县凤仪镇禹乡路168号"),
    OrgSpec("茂县凤仪小学", "茂凤小", K.INSTITUTION, "fengxiao", "茂县教育局", "茂县凤仪镇羌兴路56号"),
    OrgSpec("茂县南新镇中心小学", "茂南小", K.INSTITUTION, "nanxiao", "茂县教育局", "茂县南新镇南新村一组"),
    OrgSpec("茂县人民医院", "茂医院", K.INSTITUTION, "yiyuan", "茂县卫生健康局", "茂县凤仪镇岷江路9号"),
    OrgSpec("茂县叠溪镇卫生院", "茂叠卫", K.INSTITUTION, "diexiwsy", "茂县卫生健康局", "茂县叠溪镇较场村"),
    OrgSpec("茂县养老服务中心", "茂养老", K.INSTITUTION, "yanglao", "茂县民政局", "茂县凤仪镇永和路23号"),
    OrgSpec("茂县凤仪镇人民政府", "茂凤仪", K.TOWNSHIP, "fengyi", None, "茂县凤仪镇羌兴路21号"),
    OrgSpec("茂县南新镇人民政府", "茂南新", K.TOWNSHIP, "nanxin", None, "茂县南新镇南新村"),
    OrgSpec("茂县叠溪镇人民政府", "茂叠溪", K.TOWNSHIP, "diexi", None, "茂县叠溪镇较场村"),
    OrgSpec("茂县沙坝镇人民政府", "茂沙坝", K.TOWNSHIP, "shaba", None, "茂县沙坝镇沙坝村"),
    # County enterprises answer to the 国资中心, which holds the county's shares in them.
    OrgSpec(
        "茂县国有资产投资经营有限责任公司",
        "茂国投",
        K.STATE_ENTERPRISE,
        "guotou",
        "茂县国有资产管理中心",
        "茂县凤仪镇岷江路128号",
    ),
    OrgSpec(
        "茂县文化旅游发展集团有限公司",
        "茂文旅",
        K.STATE_ENTERPRISE,
        "wenlv",
        "茂县国有资产管理中心",
        "茂县凤仪镇中国古羌城",
    ),
    OrgSpec(
        "茂县农业农村服务中心", "茂农服", K.INSTITUTION, "nongfu", "茂县科学技术和农业畜牧局", "茂县凤仪镇永和路66号"
    ),
    OrgSpec("茂县土地储备中心", "茂土储", K.INSTITUTION, "tuchu", "茂县自然资源局", "茂县凤仪镇羌兴路99号"),
    OrgSpec("茂县文化馆", "茂文化馆", K.INSTITUTION, "wenhuaguan", "茂县文化体育和旅游局", "茂县凤仪镇羌兴路77号"),
    OrgSpec("茂县档案馆", "茂档", K.INSTITUTION, "dangan", None, "茂县凤仪镇羌兴路120号"),
    OrgSpec("茂县统计局", "茂统", K.ADMINISTRATIVE, "tongji", None, "茂县凤仪镇羌兴路36号"),
    OrgSpec("茂县司法局", "茂司", K.ADMINISTRATIVE, "sifa", None, "茂县凤仪镇南庭路8号"),
    # 县委组织部 is named among the 责任单位 of seed 000, 二(四).
    OrgSpec("中共茂县委员会组织部", "茂组", K.ADMINISTRATIVE, "zuzhi", None, "茂县凤仪镇羌兴路1号"),
]

ORGANIZATIONS = LEAD_DEPARTMENTS + OTHER_DEPARTMENTS + HOLDING_UNITS


def credit_code_for(spec: OrgSpec) -> str:
    """A plausible 统一社会信用代码, derived from the name so that it never changes between runs.

    Registration authority + category (11 机关, 12 事业单位, 91 企业), 茂县's division code, a 9-character
    organization code with its GB 11714 check character, then the GB 32100 check character.
    """
    prefix = {K.INSTITUTION: "12", K.STATE_ENTERPRISE: "91"}.get(spec.kind, "11")
    digest = int.from_bytes(hashlib.sha256(spec.name.encode()).digest()[:8], "big")
    body = f"{digest % 10**8:08d}"
    if spec.kind == K.STATE_ENTERPRISE:
        # Enterprises registered after 2015 have organization codes beginning with MA.
        body = "MA" + "".join(ALPHABET[(digest >> (5 * i)) % len(ALPHABET)] for i in range(6))
    org_code = body + _organization_code_check(body)
    first17 = prefix + DIVISION_CODE + org_code
    return first17 + check_character(first17)


def _organization_code_check(body: str) -> str:
    # GB 11714-1997: weights 3 7 9 10 5 8 4 2, letters count from A = 10; 10 is written X, 11 as 0.
    total = sum(int(ch, 36) * w for ch, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


# -- people ----------------------------------------------------------------------------------------

R = Role

# username, role, organization, 姓名. Holding units: _jb 经办, _fzr 负责人; departments: _sh 审核, _fzr 负责人;
# finance: _sp 审批; supervision: _jd 监督.
USERS = [
    ("admin", R.ADMIN, "茂县财政局", "系统管理员"),
    ("caizheng_sp", R.FINANCE_APPROVER, "茂县财政局", "张国华"),
    ("guozi_sp", R.FINANCE_APPROVER, "茂县国有资产管理中心", "余婷"),
    ("shenji_jd", R.SUPERVISOR, "茂县审计局", "黄建明"),
    ("xietiao_jd", R.SUPERVISOR, "茂县闲置低效资产资源盘活利用协调机制办公室", "刘红英"),
    ("ziran_sh", R.DEPT_REVIEWER, "茂县自然资源局", "郑国栋"),
    ("zhujian_sh", R.DEPT_REVIEWER, "茂县住房和城乡建设局", "马建平"),
    ("kenong_sh", R.DEPT_REVIEWER, "茂县科学技术和农业畜牧局", "杨春华"),
    ("wentilv_sh", R.DEPT_REVIEWER, "茂县文化体育和旅游局", "王晓东"),
    ("jiaoyu_sh", R.DEPT_REVIEWER, "茂县教育局", "陈淑芬"),
    ("minzheng_sh", R.DEPT_REVIEWER, "茂县民政局", "何春梅"),
    ("weijian_sh", R.DEPT_REVIEWER, "茂县卫生健康局", "罗志华"),
    ("jiguan_sh", R.DEPT_REVIEWER, "茂县机关事务管理局", "苏明亮"),
    ("jiguan_sh2", R.DEPT_REVIEWER, "茂县机关事务管理局", "冉丽君"),
    # Heads of the departments and of finance: they hand tasks on (转办) and hear of overdue steps.
    ("caizheng_fzr", R.UNIT_HEAD, "茂县财政局", "王永康"),
    ("guozi_fzr", R.UNIT_HEAD, "茂县国有资产管理中心", "周春燕"),
    ("ziran_fzr", R.UNIT_HEAD, "茂县自然资源局", "陈志刚"),
    ("zhujian_fzr", R.UNIT_HEAD, "茂县住房和城乡建设局", "杨世荣"),
    ("kenong_fzr", R.UNIT_HEAD, "茂县科学技术和农业畜牧局", "李建英"),
    ("wentilv_fzr", R.UNIT_HEAD, "茂县文化体育和旅游局", "余正清"),
    ("jiaoyu_fzr", R.UNIT_HEAD, "茂县教育局", "马德华"),
    ("minzheng_fzr", R.UNIT_HEAD, "茂县民政局", "王秀珍"),
    ("weijian_fzr", R.UNIT_HEAD, "茂县卫生健康局", "何光荣"),
    ("jiguan_fzr", R.UNIT_HEAD, "茂县机关事务管理局", "赵德明"),
]

# holding unit → (经办人, 单位负责人)
UNIT_PEOPLE = {
    "茂县中学": ("余海燕", "杨正华"),
    "茂县凤仪小学": ("何晓梅", "王德明"),
    "茂县南新镇中心小学": ("龙小琴", "苟志勇"),
    "茂县人民医院": ("罗雪梅", "韩国庆"),
    "茂县叠溪镇卫生院": ("马丽娟", "杨金山"),
    "茂县养老服务中心": ("高春燕", "陈永福"),
    "茂县凤仪镇人民政府": ("张玉兰", "王光荣"),
    "茂县南新镇人民政府": ("何建英", "余志刚"),
    "茂县叠溪镇人民政府": ("杨秀英", "龙德华"),
    "茂县沙坝镇人民政府": ("周晓燕", "苟文斌"),
    "茂县国有资产投资经营有限责任公司": ("李思雨", "罗成林"),
    "茂县文化旅游发展集团有限公司": ("王诗琪", "杨卫东"),
    "茂县农业农村服务中心": ("陈雨桐", "何国平"),
    "茂县土地储备中心": ("肖红梅", "吴永强"),
    "茂县文化馆": ("杨阿依", "余国林"),
    "茂县档案馆": ("蒋丽萍", "袁文忠"),
    "茂县统计局": ("唐小芳", "冯建军"),
    "茂县司法局": ("赵雪琴", "邓光明"),
    "中共茂县委员会组织部": ("田晓丽", "刘志远"),
}

USERS += [
    user
    for spec in HOLDING_UNITS
    for user in (
        (f"{spec.key}_jb", R.UNIT_CLERK, spec.name, UNIT_PEOPLE[spec.name][0]),
        (f"{spec.key}_fzr", R.UNIT_HEAD, spec.name, UNIT_PEOPLE[spec.name][1]),
    )
]


@functools.cache
def _demo_password_hash() -> str:
    # Hashing is deliberately slow (PBKDF2); one hash serves every demo user, who share the password anyway.
    return make_password(DEMO_PASSWORD)


# -- the ledger ------------------------------------------------------------------------------------

D = Direction

# Town seats, roughly (latitude, longitude); real-estate rows get a point near their town.
TOWNS = {
    "凤仪镇": (31.681, 103.853),
    "南新镇": (31.596, 103.806),
    "叠溪镇": (32.028, 103.678),
    "沙坝镇": (31.858, 103.722),
    "渭门镇": (31.770, 103.793),
    "富顺乡": (31.625, 103.970),
    "黑虎镇": (31.776, 103.637),
    "石大关镇": (31.952, 103.690),
    "土门镇": (31.640, 104.110),
    "太平乡": (32.128, 103.648),
}

CATEGORY_ABBREVIATIONS = {
    "land": "TD",
    "mineral": "KC",
    "building": "FW",
    "rural": "NC",
    "infrastructure": "JC",
    "research_equipment": "KY",
    "public_welfare": "GY",
    "general_equipment": "SB",
}

QUARTER_ENDS = [
    datetime.date(2026, 12, 31),
    datetime.date(2027, 3, 31),
    datetime.date(2027, 6, 30),
    datetime.date(2027, 9, 30),
    datetime.date(2027, 12, 31),
]


@dataclass(frozen=True)
class Kind:
    """What one kind of asset looks like in a county ledger: measures, value, life, why idle, what next."""

    category: str
    subtype: str
    unit_of_measure: str
    value: tuple[int, int]  # 原值 per item, 元 (where there is an area: the bounds of area × price)
    life: int | None  # straight-line depreciation, years; None: not depreciated (land)
    acquired: tuple[int, int]  # years
    idle_reasons: tuple[str, ...]
    directions: tuple[tuple[str, str], ...]  # (盘活方向, 盘活思路)
    area: tuple[int, int] | None = None  # ㎡, or 亩 when in_mu
    in_mu: bool = False
    price: tuple[int, int] | None = None  # 元 per ㎡ (or per 亩)
    quantity: tuple[int, int] = (1, 1)
    models: tuple[tuple[str, str], ...] = ()  # equipment: (name, 规格型号), taken in turn; see MODEL_VALUES
    real_estate: bool = False
    over_standard_possible: bool = False


EQUIPMENT_DIRECTIONS = (
    (D.REALLOCATE, "在调剂共享平台发布，优先调剂至设备缺口单位"),
    (D.SCRAP, "已超最低使用年限，经技术鉴定后报废，规范回收残值"),
    (D.AUCTION, "无法调剂的，委托公共资源交易中心公开处置，收入上缴国库"),
)
EQUIPMENT_IDLE = ("设备更新换代后停用", "机构改革人员调整后闲置", "性能落后，不能满足业务需要", "项目结束后闲置")
SCHOOL_DIRECTIONS = (
    (D.REPURPOSE, "微改造为社区助餐点和基层文体活动场所，优先保障公共服务"),
    (D.REALLOCATE, "调剂给属地镇人民政府用作便民服务中心"),
    (D.LEASE, "保障公益功能前提下公开招租，用作研学实践基地"),
)
BUILDING_DIRECTIONS = (
    (D.REALLOCATE, "调剂给用房缺口单位使用，减少租用"),
    (D.LEASE, "公开招租，用作人才公寓或创新创业载体"),
    (D.REPURPOSE, "改造为保障性租赁住房或便民服务场所"),
)
LAND_DIRECTIONS = (
    (D.TRANSFER, "完善规划条件后公开出让，推行标准地供地"),
    (D.OPERATE, "安排临时使用，作为停车场或农产品集散场地"),
    (D.LAND_RECOVERY, "协议有偿收回，纳入政府收储"),
)
RURAL_DIRECTIONS = (
    (D.OPERATE, "采取“平台公司+村集体”模式委托县属国企运营，收益共享"),
    (D.LEASE, "公开招租引入经营主体，租金归村集体"),
    (D.REPURPOSE, "更新完善配套设施，化整为零、打捆盘活"),
)
SCENIC_DIRECTIONS = (
    (D.OPERATE, "整体出租或特许经营，引入专业运营主体"),
    (D.LEASE, "业态提档升级后公开招租"),
    (D.REPURPOSE, "统筹文旅资金改造，与周边羌寨联动运营"),
)
VENUE_DIRECTIONS = (
    (D.OPERATE, "引入专业机构运营，保障免费或低收费开放时段"),
    (D.REPURPOSE, "功能融合，改造为基层文体和便民服务综合体"),
)

KINDS = {
    # 公益性资产 (seed 000, 二(七))
    "school": Kind(
        category="public_welfare",
        subtype="school",
        unit_of_measure="栋",
        value=(500_000, 8_000_000),
        life=50,
        acquired=(2005, 2016),
        idle_reasons=("学校撤并后校舍闲置", "生源减少，教学点停办后校舍闲置", "新校区投用后老校区停用"),
        directions=SCHOOL_DIRECTIONS,
        area=(300, 6000),
        price=(1200, 2200),
        real_estate=True,
    ),
    "medical": Kind(
        category="public_welfare",
        subtype="medical",
        unit_of_measure="栋",
        value=(500_000, 8_000_000),
        life=50,
        acquired=(2005, 2015),
        idle_reasons=("新院区投用后旧院区停用", "乡镇卫生院合并后原院区闲置"),
        directions=(
            (D.REPURPOSE, "改造为医养结合康养中心"),
            (D.FREE_TRANSFER, "统筹划转，移交属地镇人民政府"),
            (D.LEASE, "公开招租，用于社区卫生服务和康复护理"),
        ),
        area=(400, 6000),
        price=(1400, 2400),
        real_estate=True,
    ),
    "elderly": Kind(
        category="public_welfare",
        subtype="elderly_care",
        unit_of_measure="处",
        value=(500_000, 5_000_000),
        life=50,
        acquired=(2005, 2018),
        idle_reasons=("特困人员集中供养后原敬老院闲置", "入住率长期偏低，部分楼栋停用"),
        directions=(
            (D.OPERATE, "公建民营，引入社会主体发展候鸟旅居康养"),
            (D.REPURPOSE, "改造为村级互助养老点和社区助餐点"),
        ),
        area=(300, 3000),
        price=(1200, 2000),
        real_estate=True,
    ),
    "venue": Kind(
        category="public_welfare",
        subtype="sports_culture",
        unit_of_measure="处",
        value=(500_000, 8_000_000),
        life=50,
        acquired=(2005, 2019),
        idle_reasons=("撤乡并镇后综合文化站闲置", "场馆设施老化，停用待修"),
        directions=VENUE_DIRECTIONS,
        area=(300, 5000),
        price=(1500, 2600),
        real_estate=True,
    ),
    # 房屋构筑物 (seed 000, 二(三))
    "office": Kind(
        category="building",
        subtype="office_building",
        unit_of_measure="栋",
        value=(500_000, 8_000_000),
        life=50,
        acquired=(2005, 2018),
        idle_reasons=("撤乡并镇后原乡政府办公楼闲置", "机构改革后办公用房腾退"),
        directions=BUILDING_DIRECTIONS,
        area=(300, 3000),
        price=(1100, 2400),
        real_estate=True,
        over_standard_possible=True,
    ),
    "shop": Kind(
        category="building",
        subtype="business_premises",
        unit_of_measure="处",
        value=(500_000, 6_000_000),
        life=50,
        acquired=(2006, 2020),
        idle_reasons=("租约到期后未续租", "商圈转移，铺面长期空置"),
        directions=((D.LEASE, "降低起租价后公开招租，引入羌绣和特色餐饮"), (D.OPERATE, "委托专业机构整体运营")),
        area=(200, 3000),
        price=(2000, 3500),
        real_estate=True,
    ),
    "factory": Kind(
        category="building",
        subtype="standard_factory",
        unit_of_measure="栋",
        value=(2_000_000, 8_000_000),
        life=50,
        acquired=(2012, 2022),
        idle_reasons=("入驻企业迁出后闲置", "招商项目未落地，建成后未投用"),
        directions=(
            (D.LEASE, "精准招商，整体出租给农产品加工企业"),
            (D.OPERATE, "引入专业园区运营商，深化跨区协作"),
            (D.REPURPOSE, "空间挖潜，分割改造为小微企业孵化车间"),
        ),
        area=(1500, 6000),
        price=(1300, 2000),
        real_estate=True,
    ),
    "housing": Kind(
        category="building",
        subtype="commercial_housing",
        unit_of_measure="套",
        value=(500_000, 8_000_000),
        life=50,
        acquired=(2010, 2021),
        idle_reasons=("安置剩余房源长期空置", "购置的存量商品房未分配使用"),
        directions=(
            (D.REPURPOSE, "转化为保障性租赁住房和人才公寓"),
            (D.LEASE, "整体出租用于养老托育等公共用房"),
            (D.TRANSFER, "公开转让，收入上缴国库"),
        ),
        area=(200, 2500),
        price=(3500, 5500),
        quantity=(2, 24),
        real_estate=True,
    ),
    # 土地资源 (seed 000, 二(一)), areas in 亩
    "land_industrial": Kind(
        category="land",
        subtype="industrial_land",
        unit_of_measure="宗",
        value=(1_000_000, 20_000_000),
        life=None,
        acquired=(2008, 2020),
        idle_reasons=("供而未建，项目未按期动工", "企业退出后土地闲置"),
        directions=LAND_DIRECTIONS,
        area=(8, 120),
        in_mu=True,
        price=(90_000, 160_000),
        real_estate=True,
    ),
    "land_unsupplied": Kind(
        category="land",
        subtype="unsupplied_land",
        unit_of_measure="宗",
        value=(500_000, 20_000_000),
        life=None,
        acquired=(2010, 2021),
        idle_reasons=("批而未供，规划条件尚未落实", "征收补偿未完成，暂缓供地"),
        directions=LAND_DIRECTIONS,
        area=(5, 80),
        in_mu=True,
        price=(80_000, 250_000),
        real_estate=True,
    ),
    "land_idle": Kind(
        category="land",
        subtype="idle_land",
        unit_of_measure="宗",
        value=(300_000, 20_000_000),
        life=None,
        acquired=(2005, 2018),
        idle_reasons=("原单位撤销后用地闲置", "规划调整，暂缓开发"),
        directions=LAND_DIRECTIONS,
        area=(3, 40),
        in_mu=True,
        price=(60_000, 200_000),
        real_estate=True,
    ),
    "land_other": Kind(
        category="land",
        subtype="other_land",
        unit_of_measure="宗",
        value=(300_000, 20_000_000),
        life=None,
        acquired=(2005, 2020),
        idle_reasons=("配套项目未实施，土地闲置", "规划调整，暂缓开发"),
        directions=LAND_DIRECTIONS,
        area=(3, 50),
        in_mu=True,
        price=(60_000, 200_000),
        real_estate=True,
    ),
    # 矿产资源 (seed 000, 二(二))
    "mining_right": Kind(
        category="mineral",
        subtype="mining_right",
        unit_of_measure="项",
        value=(2_000_000, 18_000_000),
        life=15,
        acquired=(2010, 2021),
        idle_reasons=("生态保护红线调整后停产", "矿业权到期未办理延续"),
        directions=(
            (D.TRANSFER, "依法办理延续后公开转让矿业权"),
            (D.OTHER, "核减面积，办理注销并开展生态修复"),
        ),
        area=(100, 600),
        in_mu=True,
        price=(8_000, 30_000),
    ),
    "mine_site": Kind(
        category="mineral",
        subtype="mine_site",
        unit_of_measure="处",
        value=(200_000, 1_500_000),
        life=None,
        acquired=(2005, 2012),
        idle_reasons=("历史遗留矿山停采", "关闭矿山尚未完成修复"),
        directions=((D.OTHER, "实施生态修复后再利用为光伏或林草用地"), (D.REPURPOSE, "修复后改造为地质科普研学点")),
        area=(20, 200),
        in_mu=True,
        price=(5_000, 12_000),
    ),
    # 农村经营性资产 (seed 000, 二(四))
    "rural_assist": Kind(
        category="rural",
        subtype="assistance_project",
        unit_of_measure="处",
        value=(300_000, 3_000_000),
        life=20,
        acquired=(2016, 2022),
        idle_reasons=("帮扶项目配套设施不完善，停运", "市场变化，经营困难停产"),
        directions=RURAL_DIRECTIONS,
        area=(200, 3000),
        price=(900, 1600),
    ),
    "rural_farm": Kind(
        category="rural",
        subtype="farming_base",
        unit_of_measure="处",
        value=(300_000, 5_000_000),
        life=20,
        acquired=(2012, 2022),
        idle_reasons=("经营主体退出，基地撂荒", "品种老化，效益下滑后停种"),
        directions=RURAL_DIRECTIONS,
        area=(20, 400),
        in_mu=True,
        price=(6_000, 15_000),
    ),
    "rural_collective": Kind(
        category="rural",
        subtype="collective_asset",
        unit_of_measure="处",
        value=(300_000, 3_000_000),
        life=30,
        acquired=(2010, 2022),
        idle_reasons=("经营主体退出后闲置", "游客量不足，停业"),
        directions=RURAL_DIRECTIONS,
        area=(200, 2000),
        price=(1000, 1800),
    ),
    # 公共基础设施 (seed 000, 二(五))
    "scenic": Kind(
        category="infrastructure",
        subtype="scenic_area",
        unit_of_measure="项",
        value=(1_000_000, 30_000_000),
        life=30,
        acquired=(2009, 2021),
        idle_reasons=("景区业态单一，游客量下降后停运", "震后重建设施利用不足"),
        directions=SCENIC_DIRECTIONS,
        area=(500, 12000),
        price=(1200, 2500),
    ),
    "facility": Kind(
        category="infrastructure",
        subtype="public_facility",
        unit_of_measure="项",
        value=(500_000, 5_000_000),
        life=30,
        acquired=(2009, 2021),
        idle_reasons=("配套产业未落地，设施利用不足", "重建设轻运营，设施停运"),
        directions=((D.CONCESSION, "推行特许经营，引入社会资本运营"), (D.LEASE, "经营权公开招租")),
        area=(500, 8000),
        price=(500, 1200),
    ),
    # 科研仪器设备 (seed 000, 二(六)): 原值20万元及以上纳入共享
    "instrument": Kind(
        category="research_equipment",
        subtype="large_instrument",
        unit_of_measure="台",
        value=(200_000, 1_300_000),
        life=10,
        acquired=(2012, 2023),
        idle_reasons=("项目结题后设备闲置", "缺少专业操作人员，使用率低"),
        directions=(
            (D.OPEN_SHARING, "接入省级科研仪器共享平台，开放共享"),
            (D.REALLOCATE, "调剂至县疾控中心检验科使用"),
        ),
        models=(
            ("气相色谱仪", "安捷伦 8890"),
            ("高效液相色谱仪", "岛津 LC-20AD"),
            ("原子吸收分光光度计", "岛津 AA-6880"),
            ("电感耦合等离子体质谱仪", "赛默飞 iCAP RQ"),
            ("实时荧光定量PCR仪", "伯乐 CFX96"),
        ),
    ),
    "lab": Kind(
        category="research_equipment",
        subtype="lab_equipment",
        unit_of_measure="台",
        value=(6_000, 150_000),
        life=8,
        acquired=(2012, 2023),
        idle_reasons=("项目结题后设备闲置", "检测任务调整后停用"),
        directions=((D.REALLOCATE, "调剂至乡镇农技站使用"), (D.OPEN_SHARING, "纳入县域共享目录，预约使用")),
        models=(
            ("土壤养分速测仪", "托普 TPY-8A"),
            ("农药残留快速检测仪", "恒美 HM-NY24"),
            ("生化培养箱", "一恒 LRH-250"),
            ("超净工作台", "苏净 SW-CJ-2FD"),
            ("分析天平（万分之一）", "赛多利斯 BSA224S"),
            ("植物病虫害监测仪", "托普 TPCB-IV"),
        ),
    ),
    "school_lab": Kind(
        category="research_equipment",
        subtype="lab_equipment",
        unit_of_measure="套",
        value=(20_000, 150_000),
        life=10,
        acquired=(2012, 2022),
        idle_reasons=("老校区停用后实验设备闲置",),
        directions=((D.REALLOCATE, "调剂至乡镇中心校实验室使用"),),
        models=(("物理实验室成套设备", "教学仪器 JY-W48"), ("化学实验室成套设备", "教学仪器 JY-H48")),
    ),
    # 其他：办公设备、专用设备、通用设备 (seed 000, 二(八))
    "computer": Kind(
        category="general_equipment",
        subtype="computer",
        unit_of_measure="台",
        value=(4_000, 9_000),
        life=6,
        acquired=(2012, 2024),
        idle_reasons=EQUIPMENT_IDLE,
        directions=EQUIPMENT_DIRECTIONS,
        over_standard_possible=True,
        models=(
            ("台式计算机", "联想启天 M437 i5/8G/512G"),
            ("台式计算机", "华为擎云 W515"),
            ("便携式计算机", "联想昭阳 K4e"),
            ("台式计算机", "长城世恒 TD120A3"),
            ("便携式计算机", "华为 MateBook B3-420"),
        ),
    ),
    "copier": Kind(
        category="general_equipment",
        subtype="copier",
        unit_of_measure="台",
        value=(8_000, 30_000),
        life=6,
        acquired=(2012, 2023),
        idle_reasons=EQUIPMENT_IDLE,
        directions=EQUIPMENT_DIRECTIONS,
        over_standard_possible=True,
        models=(("数码复合机", "理光 MP 2555SP"), ("数码复印机", "柯尼卡美能达 bizhub 367")),
    ),
    "furniture": Kind(
        category="general_equipment",
        subtype="office_furniture",
        unit_of_measure="套",
        value=(800, 3_000),
        life=15,
        acquired=(2006, 2022),
        idle_reasons=("机构改革后办公用房调整，家具闲置", "老校区停用后家具闲置"),
        directions=EQUIPMENT_DIRECTIONS,
        quantity=(10, 60),
        over_standard_possible=True,
        models=(("办公桌椅", "钢木结构 1.4m"), ("学生课桌椅", "升降式单人"), ("会议桌椅", "实木 24座")),
    ),
    "shelving": Kind(
        category="general_equipment",
        subtype="office_furniture",
        unit_of_measure="组",
        value=(3_000, 6_000),
        life=15,
        acquired=(2008, 2020),
        idle_reasons=("旧库房停用后密集架闲置",),
        directions=EQUIPMENT_DIRECTIONS,
        quantity=(10, 40),
        models=(("手摇式密集架", "冷轧钢板 五层"),),
    ),
    "smartboard": Kind(
        category="general_equipment",
        subtype="office_equipment",
        unit_of_measure="台",
        value=(8_000, 16_000),
        life=6,
        acquired=(2014, 2023),
        idle_reasons=("老校区停用后闲置", "设备更新换代后停用"),
        directions=EQUIPMENT_DIRECTIONS,
        models=(("多媒体教学一体机", "希沃 MC86FEC"), ("交互式智能平板", "鸿合 HD-I8675")),
    ),
    "scanner": Kind(
        category="general_equipment",
        subtype="office_equipment",
        unit_of_measure="台",
        value=(30_000, 120_000),
        life=6,
        acquired=(2014, 2022),
        idle_reasons=("档案数字化项目结束后闲置",),
        directions=EQUIPMENT_DIRECTIONS,
        models=(("高速档案扫描仪", "富士通 fi-7900"), ("零边距书刊扫描仪", "汉王 BS-A3")),
    ),
    "medical_device": Kind(
        category="general_equipment",
        subtype="special_equipment",
        unit_of_measure="台",
        value=(20_000, 3_200_000),
        life=8,
        acquired=(2010, 2023),
        idle_reasons=("新院区配置新设备后旧设备停用", "专业人员不足，设备闲置"),
        directions=(
            (D.REALLOCATE, "调剂至乡镇卫生院使用，提升基层诊疗能力"),
            (D.SCRAP, "达到报废标准，经技术鉴定后报废"),
        ),
        models=(
            ("64排螺旋CT", "联影 uCT 530"),
            ("数字化X射线摄影系统（DR）", "联影 uDR 370i"),
            ("彩色多普勒超声诊断仪", "迈瑞 Resona 7"),
            ("全自动生化分析仪", "迈瑞 BS-480"),
            ("呼吸机", "迈瑞 SV300"),
            ("十二导心电图机", "光电 ECG-2350"),
            ("麻醉机", "迈瑞 WATO EX-65"),
            ("电子胃肠镜系统", "奥林巴斯 CV-290"),
        ),
    ),
    "clinic_device": Kind(
        category="general_equipment",
        subtype="special_equipment",
        unit_of_measure="台",
        value=(20_000, 500_000),
        life=8,
        acquired=(2012, 2023),
        idle_reasons=("院区合并后设备闲置", "专业人员不足，设备闲置"),
        directions=((D.REALLOCATE, "调剂至县人民医院分院区使用"), (D.SCRAP, "达到报废标准，经技术鉴定后报废")),
        models=(
            ("便携式彩色超声诊断仪", "开立 S9"),
            ("数字化X射线摄影系统（DR）", "万东 新东方1000"),
            ("全自动血细胞分析仪", "迈瑞 BC-5390"),
            ("十二导心电图机", "光电 ECG-2350"),
        ),
    ),
    "rehab": Kind(
        category="general_equipment",
        subtype="special_equipment",
        unit_of_measure="套",
        value=(30_000, 150_000),
        life=8,
        acquired=(2014, 2022),
        idle_reasons=("入住老人减少，设备闲置",),
        directions=EQUIPMENT_DIRECTIONS,
        models=(("康复训练器材", "上下肢康复训练系统"), ("智能助浴设备", "卧式助浴机")),
    ),
    "stage": Kind(
        category="general_equipment",
        subtype="special_equipment",
        unit_of_measure="套",
        value=(80_000, 600_000),
        life=8,
        acquired=(2012, 2022),
        idle_reasons=("演出场馆停用后设备闲置", "设备更新换代后停用"),
        directions=EQUIPMENT_DIRECTIONS,
        models=(("舞台灯光音响系统", "专业演出成套设备"), ("户外LED显示屏", "P4 全彩 60㎡")),
    ),
    "vehicle": Kind(
        category="general_equipment",
        subtype="vehicle",
        unit_of_measure="辆",
        value=(150_000, 300_000),
        life=8,
        acquired=(2010, 2022),
        idle_reasons=("公务用车制度改革后车辆闲置", "车辆老化，停驶待处置"),
        directions=(
            (D.REALLOCATE, "交县机关事务管理局统一调剂使用"),
            (D.AUCTION, "委托公共资源交易中心公开拍卖，收入上缴国库"),
        ),
        over_standard_possible=True,
        models=(("执法执勤用车", "长安 CS75 PLUS"), ("应急保障用车", "丰田 普拉多"), ("公务用车", "大众 帕萨特")),
    ),
    "device": Kind(
        category="general_equipment",
        subtype="general_device",
        unit_of_measure="台",
        value=(20_000, 250_000),
        life=10,
        acquired=(2008, 2022),
        idle_reasons=EQUIPMENT_IDLE,
        directions=EQUIPMENT_DIRECTIONS,
        models=(("柴油发电机组", "康明斯 150kW"), ("多联式中央空调", "格力 GMV6"), ("UPS不间断电源", "山特 C10KS")),
    ),
    "ambulance": Kind(
        category="general_equipment",
        subtype="vehicle",
        unit_of_measure="辆",
        value=(300_000, 500_000),
        life=8,
        acquired=(2012, 2022),
        idle_reasons=("车辆老化，故障频发后停用",),
        directions=EQUIPMENT_DIRECTIONS,
        models=(("救护车", "依维柯 负压型"), ("救护车", "福特 全顺 监护型")),
    ),
    "sightseeing_car": Kind(
        category="general_equipment",
        subtype="vehicle",
        unit_of_measure="辆",
        value=(80_000, 200_000),
        life=8,
        acquired=(2014, 2022),
        idle_reasons=("景区游客量下降，观光车停运",),
        directions=EQUIPMENT_DIRECTIONS,
        models=(("电动观光车", "绿通 14座"), ("电动观光车", "朗晴 23座")),
    ),
}

# 原值 per item where a kind's models differ widely in price, keyed by (name, 规格型号).
MODEL_VALUES = {
    ("64排螺旋CT", "联影 uCT 530"): (2_600_000, 3_200_000),
    ("数字化X射线摄影系统（DR）", "联影 uDR 370i"): (800_000, 1_200_000),
    ("彩色多普勒超声诊断仪", "迈瑞 Resona 7"): (600_000, 1_500_000),
    ("全自动生化分析仪", "迈瑞 BS-480"): (350_000, 800_000),
    ("呼吸机", "迈瑞 SV300"): (120_000, 300_000),
    ("十二导心电图机", "光电 ECG-2350"): (20_000, 50_000),
    ("麻醉机", "迈瑞 WATO EX-65"): (200_000, 450_000),
    ("电子胃肠镜系统", "奥林巴斯 CV-290"): (400_000, 900_000),
    ("便携式彩色超声诊断仪", "开立 S9"): (150_000, 350_000),
    ("数字化X射线摄影系统（DR）", "万东 新东方1000"): (350_000, 500_000),
    ("全自动血细胞分析仪", "迈瑞 BC-5390"): (60_000, 150_000),
    ("气相色谱仪", "安捷伦 8890"): (250_000, 400_000),
    ("高效液相色谱仪", "岛津 LC-20AD"): (300_000, 550_000),
    ("原子吸收分光光度计", "岛津 AA-6880"): (250_000, 400_000),
    ("电感耦合等离子体质谱仪", "赛默飞 iCAP RQ"): (900_000, 1_300_000),
    ("实时荧光定量PCR仪", "伯乐 CFX96"): (220_000, 350_000),
    ("土壤养分速测仪", "托普 TPY-8A"): (15_000, 30_000),
    ("农药残留快速检测仪", "恒美 HM-NY24"): (8_000, 20_000),
    ("生化培养箱", "一恒 LRH-250"): (10_000, 20_000),
    ("超净工作台", "苏净 SW-CJ-2FD"): (10_000, 20_000),
    ("分析天平（万分之一）", "赛多利斯 BSA224S"): (6_000, 15_000),
    ("植物病虫害监测仪", "托普 TPCB-IV"): (30_000, 80_000),
    ("舞台灯光音响系统", "专业演出成套设备"): (200_000, 600_000),
    ("户外LED显示屏", "P4 全彩 60㎡"): (80_000, 300_000),
    ("执法执勤用车", "长安 CS75 PLUS"): (150_000, 180_000),
    ("应急保障用车", "丰田 普拉多"): (400_000, 480_000),
    ("公务用车", "大众 帕萨特"): (200_000, 260_000),
    ("柴油发电机组", "康明斯 150kW"): (120_000, 250_000),
    ("多联式中央空调", "格力 GMV6"): (60_000, 200_000),
    ("UPS不间断电源", "山特 C10KS"): (20_000, 45_000),
}

LOW_EFFICIENCY_NOTES = {
    "land": "土地利用强度低，亩均税收不足全县平均水平的30%。",
    "mineral": "矿山年产量不足设计产能的30%。",
    "building": "出租率长期低于40%，租金收入不足运维成本。",
    "rural": "年经营收益低于村集体预期的一半，设施利用不足。",
    "infrastructure": "年接待量和运营收入长期偏低，不足以覆盖运维成本。",
    "research_equipment": "年有效机时不足200小时，未对外开放共享。",
    "public_welfare": "年服务人次不足设计能力的三成。",
    "general_equipment": "年使用率不足30%。",
}
OVER_STANDARD_NOTES = {
    "building": "人均办公用房面积超出《党政机关办公用房建设标准》。",
    "general_equipment": "超出行政事业单位通用资产配置标准。",
}


@dataclass(frozen=True)
class Item:
    kind: str
    name: str = ""  # real estate: its own name; equipment: taken from the kind's models
    town: str = ""  # real estate: the town it stands in
    place: str = ""  # real estate: the village or street within the town
    count: int = 1  # equipment: how many rows


def _re(kind: str, name: str, town: str, place: str) -> Item:
    return Item(kind, name, town, place)


def _eq(kind: str, count: int) -> Item:
    return Item(kind, count=count)


# What each holding unit keeps on its ledger. Lead departments hold nothing here: a department that
# verifies a category never verifies its own assets (不相容岗位分离).
LEDGERS: dict[str, list[Item]] = {
    "茂县中学": [
        _re("school", "老校区教学楼（原初中部）", "凤仪镇", "南庭路12号"),
        _re("school", "老校区学生宿舍楼", "凤仪镇", "南庭路12号"),
        _re("school", "老校区学生食堂", "凤仪镇", "南庭路12号"),
        _re("school", "科技楼", "凤仪镇", "禹乡路168号"),
        _eq("computer", 12),
        _eq("smartboard", 5),
        _eq("copier", 2),
        _eq("furniture", 3),
        _eq("school_lab", 2),
    ],
    "茂县凤仪小学": [
        _re("school", "坪头村教学点校舍", "凤仪镇", "坪头村"),
        _re("school", "甘青村教学点校舍", "凤仪镇", "甘青村"),
        _re("school", "综合楼", "凤仪镇", "羌兴路56号"),
        _eq("computer", 10),
        _eq("smartboard", 4),
        _eq("copier", 1),
        _eq("furniture", 2),
    ],
    "茂县南新镇中心小学": [
        _re("school", "原牟托村小学教学楼", "南新镇", "牟托村"),
        _re("school", "原别立村小学校舍", "南新镇", "别立村"),
        _re("school", "原安乡村小学校舍", "南新镇", "安乡村"),
        _re("school", "学生宿舍楼", "南新镇", "南新村一组"),
        _eq("computer", 8),
        _eq("smartboard", 2),
        _eq("copier", 1),
        _eq("furniture", 2),
    ],
    "茂县人民医院": [
        _re("medical", "老院区门诊楼", "凤仪镇", "羌兴路88号"),
        _re("medical", "老院区住院部", "凤仪镇", "羌兴路88号"),
        _re("medical", "原传染科病房楼", "凤仪镇", "羌兴路88号"),
        _eq("medical_device", 8),
        _eq("device", 2),
        _eq("computer", 6),
        _eq("ambulance", 2),
    ],
    "茂县叠溪镇卫生院": [
        _re("medical", "原太平乡卫生院院区", "太平乡", "太平村"),
        _re("medical", "老门诊楼", "叠溪镇", "较场村"),
        _eq("clinic_device", 4),
        _eq("computer", 3),
    ],
    "茂县养老服务中心": [
        _re("elderly", "原渭门乡敬老院", "渭门镇", "沟口村"),
        _re("elderly", "原石大关乡敬老院", "石大关镇", "关口村"),
        _re("elderly", "富顺乡敬老院", "富顺乡", "富顺村"),
        _re("elderly", "县养老服务中心护理楼", "凤仪镇", "永和路23号"),
        _re("elderly", "原黑虎乡敬老院", "黑虎镇", "小河坝村"),
        _eq("rehab", 2),
        _eq("furniture", 2),
        _eq("vehicle", 1),
        _eq("computer", 3),
    ],
    "茂县凤仪镇人民政府": [
        _re("land_idle", "原农机站用地", "凤仪镇", "水西村"),
        _re("land_other", "坪头村游客集散地预留用地", "凤仪镇", "坪头村"),
        _re("land_other", "原粮站仓储用地", "凤仪镇", "南庭路"),
        _re("office", "原镇政府老办公楼", "凤仪镇", "羌兴路21号"),
        _re("shop", "禹乡路临街铺面", "凤仪镇", "禹乡路45-51号"),
        _re("office", "原静州村村委会办公用房", "凤仪镇", "静州村"),
        _re("rural_assist", "坪头村羌绣帮扶车间", "凤仪镇", "坪头村"),
        _re("rural_farm", "甘青村甜樱桃种植基地", "凤仪镇", "甘青村"),
        _re("rural_collective", "坪头村集体民宿（羌寨客栈）", "凤仪镇", "坪头村"),
        _re("rural_assist", "水西村农产品冷链库", "凤仪镇", "水西村"),
        _re("facility", "坪头羌寨生态停车场", "凤仪镇", "坪头村"),
        _re("facility", "静州村污水处理站", "凤仪镇", "静州村"),
        _re("venue", "凤仪镇综合文化站", "凤仪镇", "羌兴路21号"),
        _eq("computer", 5),
        _eq("vehicle", 1),
    ],
    "茂县南新镇人民政府": [
        _re("land_idle", "原农贸市场地块", "南新镇", "南新村"),
        _re("land_other", "牟托村产业配套用地", "南新镇", "牟托村"),
        _re("office", "原镇政府办公楼", "南新镇", "南新村"),
        _re("shop", "场镇临街门面", "南新镇", "南新村"),
        _re("rural_farm", "安乡村花椒种植基地", "南新镇", "安乡村"),
        _re("rural_farm", "别立村生猪代养场", "南新镇", "别立村"),
        _re("rural_assist", "牟托村果蔬分拣中心", "南新镇", "牟托村"),
        _re("rural_collective", "凤毛坪村集体经营性用房", "南新镇", "凤毛坪村"),
        _re("rural_assist", "棉簇村光伏帮扶电站", "南新镇", "棉簇村"),
        _re("scenic", "牟托羌寨旅游步道及观景台", "南新镇", "牟托村"),
        _re("venue", "南新镇综合文化站", "南新镇", "南新村"),
        _eq("computer", 4),
        _eq("vehicle", 1),
    ],
    "茂县叠溪镇人民政府": [
        _re("land_idle", "原粮站地块", "叠溪镇", "较场村"),
        _re("land_other", "太平场镇预留用地", "太平乡", "太平村"),
        _re("office", "原太平乡政府办公楼", "太平乡", "太平村"),
        _re("office", "原松坪沟乡政府办公楼", "叠溪镇", "松坪沟村"),
        _re("shop", "较场村游客接待中心", "叠溪镇", "较场村"),
        _re("rural_farm", "较场村高山蔬菜基地", "叠溪镇", "较场村"),
        _re("rural_farm", "太平牦牛养殖基地", "太平乡", "杨柳村"),
        _re("rural_assist", "农特产品加工帮扶车间", "叠溪镇", "较场村"),
        _re("rural_collective", "松坪沟村集体民宿", "叠溪镇", "松坪沟村"),
        _re("scenic", "叠溪海子观景栈道", "叠溪镇", "较场村"),
        _re("facility", "太平场镇停车场", "太平乡", "太平村"),
        _re("venue", "原太平乡综合文化站", "太平乡", "太平村"),
        _eq("computer", 4),
    ],
    "茂县沙坝镇人民政府": [
        _re("land_idle", "原砖厂地块", "沙坝镇", "三元村"),
        _re("office", "原镇政府办公楼", "沙坝镇", "沙坝村"),
        _re("shop", "场镇农贸市场", "沙坝镇", "沙坝村"),
        _re("rural_farm", "青脆李种植基地", "沙坝镇", "三元村"),
        _re("rural_assist", "农产品冷链物流中心", "沙坝镇", "沙坝村"),
        _re("rural_collective", "木耳寨村集体茶旅用房", "沙坝镇", "木耳寨村"),
        _re("rural_farm", "中药材种植基地", "沙坝镇", "维城村"),
        _re("facility", "场镇集中供水站", "沙坝镇", "沙坝村"),
        _eq("computer", 4),
        _eq("vehicle", 1),
    ],
    "茂县国有资产投资经营有限责任公司": [
        _re("land_industrial", "茂县工业集中区A-03地块", "南新镇", "茂县工业集中区"),
        _re("land_industrial", "茂县工业集中区A-07地块", "南新镇", "茂县工业集中区"),
        _re("land_industrial", "茂县工业集中区B-02地块", "南新镇", "茂县工业集中区"),
        _re("land_other", "原县农机公司地块", "凤仪镇", "岷江路"),
        _re("land_other", "原县粮食仓储地块", "凤仪镇", "南庭路"),
        _re("factory", "工业集中区1号标准厂房", "南新镇", "茂县工业集中区"),
        _re("factory", "工业集中区2号标准厂房", "南新镇", "茂县工业集中区"),
        _re("factory", "工业集中区3号标准厂房", "南新镇", "茂县工业集中区"),
        _re("factory", "工业集中区4号标准厂房", "南新镇", "茂县工业集中区"),
        _re("factory", "工业集中区5号标准厂房", "南新镇", "茂县工业集中区"),
        _re("factory", "工业集中区6号标准厂房", "南新镇", "茂县工业集中区"),
        _re("housing", "羌城花园3栋存量住宅", "凤仪镇", "羌兴路160号"),
        _re("housing", "岷江苑存量商品房", "凤仪镇", "岷江路66号"),
        _re("housing", "禹乡名居存量商铺", "凤仪镇", "禹乡路200号"),
        _re("housing", "凤仪安置小区剩余房源", "凤仪镇", "水西村"),
        _re("housing", "南新安置点剩余住房", "南新镇", "棉簇村"),
        _re("housing", "羌兴路商住楼存量房源", "凤仪镇", "羌兴路132号"),
        _re("shop", "县城综合农贸市场", "凤仪镇", "永和路"),
        _re("shop", "国投大厦三至五层写字楼", "凤仪镇", "岷江路128号"),
        _re("mining_right", "南新镇建筑用砂石矿采矿权", "南新镇", "棉簇村"),
        _re("mining_right", "石大关镇石灰岩矿采矿权", "石大关镇", "关口村"),
        _re("mine_site", "渭门镇历史遗留废弃采石场", "渭门镇", "沟口村"),
        _re("mine_site", "土门镇历史遗留磷矿废弃矿区", "土门镇", "河心村"),
        _re("facility", "县城地下停车场", "凤仪镇", "羌兴路"),
        _eq("device", 1),
        _eq("computer", 5),
        _eq("vehicle", 1),
    ],
    "茂县文化旅游发展集团有限公司": [
        _re("scenic", "中国古羌城游客中心", "凤仪镇", "中国古羌城"),
        _re("scenic", "中国古羌城羌王官寨演艺中心", "凤仪镇", "中国古羌城"),
        _re("scenic", "坪头羌寨景区游步道", "凤仪镇", "坪头村"),
        _re("scenic", "黑虎羌寨碉楼景区基础设施", "黑虎镇", "小河坝村"),
        _re("scenic", "叠溪·松坪沟景区游客服务中心", "叠溪镇", "松坪沟村"),
        _re("scenic", "石大关羌寨观景平台及栈道", "石大关镇", "关口村"),
        _re("scenic", "营盘山遗址公园配套设施", "凤仪镇", "营盘山村"),
        _re("facility", "羌族博物馆周边停车场", "凤仪镇", "羌兴路"),
        _re("shop", "古羌城商业街铺面（一期）", "凤仪镇", "中国古羌城"),
        _re("shop", "古羌城商业街铺面（二期）", "凤仪镇", "中国古羌城"),
        _re("rural_collective", "坪头羌寨精品民宿", "凤仪镇", "坪头村"),
        _eq("sightseeing_car", 3),
        _eq("stage", 2),
        _eq("computer", 4),
    ],
    "茂县农业农村服务中心": [
        _re("rural_farm", "县农业科技示范园（甜樱桃）", "南新镇", "安乡村"),
        _re("rural_farm", "高山蔬菜良种繁育基地", "叠溪镇", "较场村"),
        _eq("instrument", 5),
        _eq("lab", 8),
        _eq("computer", 5),
        _eq("vehicle", 1),
    ],
    "茂县土地储备中心": [
        _re("land_unsupplied", "城北片区收储地块（CB-01）", "凤仪镇", "城北片区"),
        _re("land_unsupplied", "城北片区收储地块（CB-02）", "凤仪镇", "城北片区"),
        _re("land_unsupplied", "棉簇村批而未供地块", "南新镇", "棉簇村"),
        _re("land_unsupplied", "沟口村批而未供地块", "渭门镇", "沟口村"),
        _re("land_idle", "原县水泥厂收储地块", "渭门镇", "渭门村"),
        _re("land_idle", "原县运输公司地块", "凤仪镇", "岷江路"),
        _re("land_other", "石大关场镇收储地块", "石大关镇", "关口村"),
        _re("land_other", "沙坝场镇更新地块", "沙坝镇", "沙坝村"),
        _eq("computer", 3),
    ],
    "茂县文化馆": [
        _re("venue", "羌族文化展演厅", "凤仪镇", "羌兴路77号"),
        _re("venue", "原县电影院", "凤仪镇", "羌兴路45号"),
        _re("venue", "全民健身中心游泳馆", "凤仪镇", "永和路"),
        _eq("stage", 3),
        _eq("device", 1),
        _eq("computer", 3),
    ],
    "茂县档案馆": [
        _re("office", "旧档案库房", "凤仪镇", "羌兴路120号"),
        _eq("shelving", 2),
        _eq("scanner", 2),
        _eq("device", 1),
        _eq("computer", 3),
    ],
    "茂县统计局": [
        _eq("computer", 6),
        _eq("copier", 1),
        _eq("furniture", 2),
        _eq("vehicle", 1),
    ],
    "茂县司法局": [
        _re("office", "原叠溪司法所办公用房", "叠溪镇", "较场村"),
        _eq("computer", 5),
        _eq("furniture", 2),
        _eq("vehicle", 1),
    ],
    "中共茂县委员会组织部": [
        _eq("computer", 5),
        _eq("copier", 1),
        _eq("furniture", 1),
    ],
}

# Shares of the ledger by 使用状况 (the rest is normal use); 超标准配置 only where a standard exists.
IDLE_SHARE = Decimal("0.40")
LOW_EFFICIENCY_SHARE = Decimal("0.15")
OVER_STANDARD_SHARE = Decimal("0.05")


@dataclass
class DemoLogin:
    username: str
    password: str
    full_name: str
    organization: str
    role: str


@dataclass
class DemoSummary:
    organizations: int = 0
    organizations_created: int = 0
    users: int = 0
    users_created: int = 0
    assets: int = 0
    assets_created: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


def demo_county_load(*, today: datetime.date | None = None) -> DemoSummary:
    """Loads the demo county; running it again creates only what is missing and changes nothing else.

    `today` anchors the idle periods and net values of newly created assets (default: today).
    Callers wrap it in a transaction.
    """
    today = today or timezone.localdate()
    summary = DemoSummary()
    role_groups_ensure()
    orgs = _organizations_ensure(summary)
    users = _users_ensure(summary, orgs)
    _assets_ensure(summary, orgs=orgs, users=users, today=today)
    _targets_ensure(orgs=orgs, year=today.year)
    return summary


def _organizations_ensure(summary: DemoSummary) -> dict[str, Organization]:
    orgs: dict[str, Organization] = {}
    for spec in ORGANIZATIONS:
        org = Organization.objects.filter(name=spec.name).first()
        code = credit_code_for(spec) if spec.has_credit_code else None
        if org is None:
            org = Organization(
                name=spec.name,
                short_name=spec.short_name,
                kind=spec.kind,
                credit_code=code,
                supervising_department=orgs[spec.supervisor] if spec.supervisor else None,
            )
            org.full_clean()
            org.save()
            summary.organizations_created += 1
        elif code and not org.credit_code:
            # The departments seeded by migration 0002 arrive without a credit code.
            org.credit_code = code
            org.full_clean()
            org.save(update_fields=["credit_code"])
        orgs[spec.name] = org
    summary.organizations = len(orgs)
    return orgs


def _users_ensure(summary: DemoSummary, orgs: dict[str, Organization]) -> dict[tuple[str, str], User]:
    """Returns the demo users by (organization name, role)."""
    groups = {g.name: g for g in Group.objects.filter(name__in=Role.values)}
    users: dict[tuple[str, str], User] = {}
    for index, (username, role, org_name, full_name) in enumerate(USERS):
        user = User.objects.filter(username=username).first()
        if user is None:
            is_admin = role == Role.ADMIN
            user = User(
                username=username,
                full_name=full_name,
                organization=orgs[org_name],
                phone=f"0837-742{index:04d}",
                is_staff=is_admin,
                is_superuser=is_admin,
                password=_demo_password_hash(),
            )
            user.full_clean()
            user.save()
            user.groups.add(groups[role])
            summary.users_created += 1
        users[org_name, role] = user
        summary.logins.append(
            DemoLogin(username, DEMO_PASSWORD, user.full_name, org_name, f"{Role(role).label}（{role}）")
        )
    summary.users = len(USERS)
    return users


def _money(value: float) -> Decimal:
    # Large sums are booked to the hundred yuan, small ones to the ten.
    step = 100 if value >= 100_000 else 10
    return Decimal(round(value / step) * step).quantize(Decimal("0.01"))


def _random_date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, max((end - start).days, 0)))


def _usage_plan(rng: random.Random, rows: list[tuple[str, Item, Kind]]) -> list[str]:
    """Usage status per row: exact shares of the whole ledger, over-standard only where a standard applies."""
    n = len(rows)
    statuses = [UsageStatus.NORMAL] * n
    eligible = [i for i, (_, _, kind) in enumerate(rows) if kind.over_standard_possible]
    over = set(rng.sample(eligible, int(n * OVER_STANDARD_SHARE)))
    rest = [i for i in range(n) if i not in over]
    rng.shuffle(rest)
    n_idle, n_low = int(n * IDLE_SHARE), int(n * LOW_EFFICIENCY_SHARE)
    for i in over:
        statuses[i] = UsageStatus.OVER_STANDARD
    for i in rest[:n_idle]:
        statuses[i] = UsageStatus.IDLE
    for i in rest[n_idle : n_idle + n_low]:
        statuses[i] = UsageStatus.LOW_EFFICIENCY
    return statuses


def demo_assets_build(
    *, orgs: dict[str, Organization], users: dict[tuple[str, str], User], today: datetime.date
) -> list[Asset]:
    """The whole demo ledger as unsaved rows, the same every time for the same `today`."""
    rng = random.Random(RANDOM_SEED)
    categories = {c.code: c for c in Category.objects.all()}
    subtypes = {(s.category.code, s.code): s for s in CategorySubtype.objects.select_related("category")}
    specs = {spec.name: spec for spec in HOLDING_UNITS}

    rows: list[tuple[str, Item, Kind]] = []
    for unit_name, items in LEDGERS.items():
        for item in items:
            rows.extend((unit_name, item, KINDS[item.kind]) for _ in range(item.count))
    statuses = _usage_plan(rng, rows)

    assets: list[Asset] = []
    sequence: dict[tuple[str, str], int] = {}
    model_turn: dict[tuple[str, str], int] = {}
    certificate_serial = 1000
    for (unit_name, item, kind), usage in zip(rows, statuses, strict=True):
        spec = specs[unit_name]
        unit = orgs[unit_name]
        clerk, head = users[unit_name, Role.UNIT_CLERK], users[unit_name, Role.UNIT_HEAD]
        seq = sequence[unit_name, kind.category] = sequence.get((unit_name, kind.category), 0) + 1
        code = f"MX-{spec.key.upper()}-{CATEGORY_ABBREVIATIONS[kind.category]}-{seq:04d}"

        # Idle since 2 to 40 months ago, so most pass the 6-month bar and a few do not yet
        # (闲置: 连续停用超过6个月, seed 000, 一(三)1).
        idle_since = None
        latest_acquisition = datetime.date(kind.acquired[1], 12, 31)
        if usage == UsageStatus.IDLE:
            idle_since = today - relativedelta(months=rng.randint(2, 40), days=rng.randint(0, 20))
            latest_acquisition = min(latest_acquisition, idle_since - datetime.timedelta(days=180))
        acquired_on = _random_date(rng, datetime.date(kind.acquired[0], 1, 1), latest_acquisition)

        if kind.models:
            turn = model_turn[unit_name, item.kind] = model_turn.get((unit_name, item.kind), -1) + 1
            name, specification = kind.models[turn % len(kind.models)]
        else:
            name, specification = item.name, ""
        quantity = rng.randint(*kind.quantity)

        area_m2 = None
        if kind.area:
            # Land, mines and farms are measured in 亩 and stored in ㎡; value follows area × unit price.
            amount = round(rng.uniform(*kind.area), 1 if kind.in_mu else 0)
            area_m2 = mu_to_sqm(Decimal(str(amount))) if kind.in_mu else Decimal(amount).quantize(Decimal("0.01"))
            # Unit price bounded so that area × price stays within the kind's range of values.
            low = max(kind.price[0], kind.value[0] / amount)
            high = max(low, min(kind.price[1], kind.value[1] / amount))
            # Clamped: a large area at the kind's lowest unit price may still exceed its range of values.
            original = min(amount * rng.uniform(low, high), kind.value[1])
        else:
            original = quantity * rng.uniform(*MODEL_VALUES.get((name, specification), kind.value))
        original_value = _money(original)
        net_value = original_value
        used = (today - acquired_on).days / 365.25
        if kind.life:
            net_value = _money(float(original_value) * max(0.0, 1 - used / kind.life))
            net_value = min(net_value, original_value)

        latitude = longitude = None
        address = spec.address
        if item.town:
            address = f"茂县{item.town}{item.place}"
            lat, lon = TOWNS[item.town]
            latitude = Decimal(f"{lat + rng.uniform(-0.012, 0.012):.6f}")
            longitude = Decimal(f"{lon + rng.uniform(-0.012, 0.012):.6f}")

        ownership, certificate_no = Ownership.CONFIRMED, ""
        if kind.real_estate or kind.category in ("rural", "infrastructure", "mineral"):
            draw = rng.random()
            confirmed_share = 0.75 if kind.real_estate else 0.55
            if draw < confirmed_share:
                certificate_serial += rng.randint(7, 400)
                year = max(acquired_on.year, rng.randint(2016, 2023))
                if kind.category == "mineral":
                    certificate_no = f"C{DIVISION_CODE}{year}{acquired_on.month:02d}7130{certificate_serial:06d}"
                else:
                    certificate_no = f"川({year})茂县不动产权第{certificate_serial:07d}号"
            else:
                ownership = Ownership.UNCONFIRMED if draw < confirmed_share + 0.15 else Ownership.UNCLEAR

        asset = Asset(
            code=code,
            name=name,
            category=categories[kind.category],
            subtype=subtypes[kind.category, kind.subtype],
            holding_unit=unit,
            specification=specification,
            quantity=Decimal(quantity),
            unit_of_measure=kind.unit_of_measure,
            area_m2=area_m2,
            original_value=original_value,
            net_value=net_value,
            acquired_on=acquired_on,
            address=address,
            latitude=latitude,
            longitude=longitude,
            ownership=ownership,
            certificate_no=certificate_no,
            usage_status=usage,
            idle_since=idle_since,
            responsible_person=clerk.full_name,
            created_by=clerk,
        )
        if usage != UsageStatus.NORMAL:
            # 一资产一档案: 处置路径、责任主体和完成时限 (seed 000, 二(八)1).
            # Scrapping before the end of the service life needs an appraisal; the demo proposes it only after.
            directions = [d for d in kind.directions if d[0] != D.SCRAP or (kind.life and used >= kind.life)]
            asset.direction, asset.direction_note = rng.choice(directions or kind.directions)
            asset.responsible_person = head.full_name
            asset.deadline = rng.choice(QUARTER_ENDS)
            if usage == UsageStatus.IDLE:
                asset.idle_reason = rng.choice(kind.idle_reasons)
            elif usage == UsageStatus.LOW_EFFICIENCY:
                asset.remarks = LOW_EFFICIENCY_NOTES[kind.category]
            else:
                asset.remarks = OVER_STANDARD_NOTES[kind.category]
        assets.append(asset)
    return assets


def _assets_ensure(
    summary: DemoSummary,
    *,
    orgs: dict[str, Organization],
    users: dict[tuple[str, str], User],
    today: datetime.date,
) -> None:
    """Each unit's clerk imports the unit's missing rows as a ledger workbook, the way a county's units do."""
    assets = demo_assets_build(orgs=orgs, users=users, today=today)
    existing = set(Asset.objects.filter(code__in=[a.code for a in assets]).values_list("code", flat=True))
    missing = [a for a in assets if a.code not in existing]
    by_unit: dict[str, list[Asset]] = {}
    for asset in missing:
        by_unit.setdefault(asset.holding_unit.name, []).append(asset)
    for unit_name, rows in by_unit.items():
        clerk = users[unit_name, Role.UNIT_CLERK]
        upload = SimpleUploadedFile(f"{unit_name}资产台账.xlsx", ledger_export_workbook(rows, today=today))
        batch = import_batch_create(user=clerk, upload=upload, background=False)
        if batch.status == ImportStatus.VALID:
            batch = import_batch_commit(batch=batch, user=clerk, background=False)
        if batch.status != ImportStatus.COMMITTED:
            problems = "；".join(e["message"] for e in batch.errors[:5])
            raise RuntimeError(f"示例台账“{unit_name}”未能导入：{batch.message} {problems}")
    summary.assets = len(assets)
    summary.assets_created = len(missing)


# -- yearly targets (监督: 月调度、季评估) ------------------------------------------------------------------------

# name, category code (None: all), its sub-type codes (none: all), 盘活 / 处置 ("": both), holding-unit kind ("": all),
# lead department (None: county-wide), measure, amount. The four county-wide rows are seed 004's 全年任务目标; the
# department rows split them among the lead departments of DESIGN.md's category table, plus demo figures (not from
# the seed) for the departments that lead equipment, schools, instruments, infrastructure and elderly care, so each
# lead department's 盘活 counts toward a target of its own. 盘活闲置办公设备 counts 盘活 only: a scrapped computer is
# 处置.
INDUSTRIAL_LAND = ("idle_land", "industrial_land")
TARGETS = [
    ("处置批而未供产业用地", "land", ("unsupplied_land",), "", "", None, "area_ha", Decimal("35")),
    ("处置闲置产业用地", "land", INDUSTRIAL_LAND, "", "", None, "area_ha", Decimal("20")),
    ("盘活工业园区闲置厂房", "building", ("standard_factory",), "", "", None, "area_sqm", Decimal("100000")),
    ("盘活国有企业闲置资产", None, (), "", K.STATE_ENTERPRISE, None, "area_sqm", Decimal("29000")),
    ("处置批而未供和闲置产业用地", "land", ("unsupplied_land", *INDUSTRIAL_LAND), "", "", "茂县自然资源局", "area_ha",
     Decimal("55")),
    ("盘活闲置厂房和房屋", "building", (), "", "", "茂县住房和城乡建设局", "area_sqm", Decimal("100000")),
    ("盘活闲置办公设备", "general_equipment", (), "盘活", "", "茂县机关事务管理局", "count", Decimal("60")),
    ("盘活闲置校舍", "public_welfare", ("school",), "", "", "茂县教育局", "count", Decimal("5")),
    ("开放共享大型科研仪器", "research_equipment", ("large_instrument",), "盘活", "", "茂县科学技术和农业畜牧局",
     "count", Decimal("3")),
    ("盘活景区和公用设施", "infrastructure", (), "盘活", "", "茂县文化体育和旅游局", "count", Decimal("3")),
    ("盘活闲置养老机构", "public_welfare", ("elderly_care",), "盘活", "", "茂县民政局", "count", Decimal("2")),
]  # fmt: skip


def _targets_ensure(*, orgs: dict[str, Organization], year: int) -> None:
    """The year's targets, created once; an administrator's later edits stay."""
    # Imported here: workflows builds on assets, so the register's module must not import it at load time.
    from supervision.models import Target

    categories = {c.code: c for c in Category.objects.all()}
    rows = enumerate(TARGETS, start=1)
    for order, (name, category, subtypes, tally, unit_kind, department, measure, amount) in rows:
        target, created = Target.objects.get_or_create(
            year=year,
            name=name,
            lead_department=orgs[department] if department else None,
            defaults={
                "category": categories[category] if category else None,
                "tally": tally,
                "unit_kind": unit_kind,
                "measure": measure,
                "amount": amount,
                "sort_order": order,
            },
        )
        if created and subtypes:
            target.subtypes.set(CategorySubtype.objects.filter(category__code=category, code__in=subtypes))
