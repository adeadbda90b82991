"""Seeds the holiday table: the State Council's 2026 schedule, and a provisional 2027 one (all admin-editable)."""

from datetime import date, timedelta

from django.db import migrations

# Each break: (name, first day off, last day off, 调休 working weekend days). Every day of a break gets a row,
# weekends too, so the admin table reads as the whole notice.

# 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
HOLIDAYS_2026 = [
    # 一、1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
    ("元旦", "2026-01-01", "2026-01-03", ["2026-01-04"]),
    # 二、2月15日（腊月二十八、周日）至23日（正月初七、周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
    ("春节", "2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
    # 三、4月4日（周六）至6日（周一）放假，共3天。
    ("清明节", "2026-04-04", "2026-04-06", []),
    # 四、5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
    ("劳动节", "2026-05-01", "2026-05-05", ["2026-05-09"]),
    # 五、6月19日（周五）至21日（周日）放假，共3天。
    ("端午节", "2026-06-19", "2026-06-21", []),
    # 六、9月25日（周五）至27日（周日）放假，共3天。
    ("中秋节", "2026-09-25", "2026-09-27", []),
    # 七、10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
    ("国庆节", "2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
]

# 2027: no notice yet. The statutory days (全国年节及纪念日放假办法, 2024 revision) laid out the way recent notices
# do: 春节 from 除夕 (2月5日) through 初七 or so, 国庆 7 days, 劳动节 5 days, at most two weekend days worked per
# break and at most six working days in a row either side; a one-day holiday on a Wednesday stands alone.
PROVISIONAL = "（预排，以国务院办公厅通知为准）"
HOLIDAYS_2027 = [
    # 1月1日（周五）至3日（周日），共3天。
    ("元旦", "2027-01-01", "2027-01-03", []),
    # 2月5日（除夕、周五）至13日（初八、周六），共9天。1月31日（周日）、2月14日（周日）上班。
    ("春节", "2027-02-05", "2027-02-13", ["2027-01-31", "2027-02-14"]),
    # 4月3日（周六）至5日（清明、周一），共3天。
    ("清明节", "2027-04-03", "2027-04-05", []),
    # 5月1日（周六）至5日（周三），共5天。5月8日（周六）上班。
    ("劳动节", "2027-05-01", "2027-05-05", ["2027-05-08"]),
    # 6月9日（周三），1天。
    ("端午节", "2027-06-09", "2027-06-09", []),
    # 9月15日（周三），1天。
    ("中秋节", "2027-09-15", "2027-09-15", []),
    # 10月1日（周五）至7日（周四），共7天。9月26日（周日）、10月9日（周六）上班。
    ("国庆节", "2027-10-01", "2027-10-07", ["2027-09-26", "2027-10-09"]),
]


def rows(holidays, suffix=""):
    for name, first, last, workdays in holidays:
        day, last = date.fromisoformat(first), date.fromisoformat(last)
        while day <= last:
            yield day, False, f"{name}{suffix}"
            day += timedelta(days=1)
        for workday in workdays:
            yield date.fromisoformat(workday), True, f"{name}调休上班{suffix}"


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("workflows", "CalendarDay")
    for day, is_workday, name in [*rows(HOLIDAYS_2026), *rows(HOLIDAYS_2027, PROVISIONAL)]:
        # get_or_create on the date: re-running never duplicates, nor undoes an admin's correction.
        CalendarDay.objects.get_or_create(date=day, defaults={"is_workday": is_workday, "name": name})


class Migration(migrations.Migration):
    dependencies = [("workflows", "0002_seed_rules")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
