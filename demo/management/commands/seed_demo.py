"""Loads the demo county (茂县) and prints its logins; safe to run again."""

import datetime
import time
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from demo.cases import CasesSummary, demo_cases_load
from demo.county import demo_county_load


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table whose columns line up in a terminal, Chinese characters counting double."""
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "载入演示县（茂县）的单位、用户、约300项资产，以及每种盘活方式已销号和办理中的处置事项各一件。"
        "可重复运行：已有的记录不会重复创建，也不会被修改。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            help="计算闲置时长和净值所用的日期（YYYY-MM-DD），默认今天；只影响新建的资产。",
        )
        parser.add_argument("--without-cases", action="store_true", help="只载入单位、用户和资产，不办理演示处置事项。")

    def handle(self, *args, today=None, without_cases=False, **options):
        if today and today > timezone.localdate():
            raise CommandError(f"--today {today} 晚于今天：台账不接受晚于今天的日期。")
        started = time.monotonic()
        with transaction.atomic():
            summary = demo_county_load(today=today)
        # Outside the county's transaction: each step of a case commits as in the browser, and its document is
        # issued after it, on its day.
        cases = CasesSummary() if without_cases else demo_cases_load()
        elapsed = time.monotonic() - started

        rows = [[x.username, x.password, x.full_name, x.organization, x.role] for x in summary.logins]
        self.stdout.write(format_table(["用户名", "密码", "姓名", "单位", "角色"], rows))
        self.stdout.write("")
        self.stdout.write("密码只在首次创建用户时设置；已有用户的密码保持不变。")
        self.stdout.write(
            f"单位 {summary.organizations} 个（新建 {summary.organizations_created}），"
            f"用户 {summary.users} 个（新建 {summary.users_created}），"
            f"资产 {summary.assets} 项（新建 {summary.assets_created}），"
            + (
                ""
                if without_cases
                else f"盘活方式 {cases.methods} 种各有已销号和办理中的事项（新建事项 {cases.created} 件），"
            )
            + f"用时 {elapsed:.1f} 秒。"
        )
        if cases.skipped:
            self.stderr.write(cases.skipped)
