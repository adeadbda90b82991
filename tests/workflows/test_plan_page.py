"""The plan page tells the clerk, before the form is filled, what the plan may be and what it needs: the 调剂 window
still running (and the notice at 认定 says when it ends), the methods whose plan needs 集体决策 minutes by the routing
rules, and, for a method that names its receiver, only units whose ledger can take the asset."""

import datetime
import html
import re

import pytest
from django.urls import reverse

from workflows.flows import DisposalFlow
from workflows.models import Notification
from workflows.services import window_closed_sweep

from ..factories import OrganizationFactory
from ..ledgers import import_ledger, ledger_row
from .test_flow_urls import claim, fresh, url, verified_via_urls

pytestmark = pytest.mark.django_db


def plan_page(client, clerk, case) -> str:
    task = claim(client, clerk, case, DisposalFlow.plan)
    return html.unescape(client.get(url(DisposalFlow.plan, task)).content.decode())


def options_of(page: str, name: str) -> list[str]:
    select = page[page.index(f'name="{name}"') :].split("</select>")[0]
    return re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]+)</option>", select)


def test_while_the_window_runs_the_plan_page_says_so_and_the_notice_of_verification_said_when_it_ends(
    client, building, alice, henry, hugo
):
    case = verified_via_urls(client, building, alice, henry, hugo)
    [notice] = Notification.objects.filter(user=alice, case=case)
    assert f"调剂公示期至{case.listed_until.year}年" in notice.message and "期满后请拟定处置方案" in notice.message

    page = plan_page(client, alice, case)

    assert "调剂优先：该资产的调剂公示期至" in page and "其他盘活方式须待公示期满后提出" in page


def test_after_the_window_the_plan_page_has_no_window_notice(client, building, alice, henry, hugo):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)

    assert "调剂优先：该资产的调剂公示期至" not in plan_page(client, alice, fresh(case))


def test_the_minutes_field_names_the_methods_the_routing_rules_ask_collective_decision_of(
    client, building, alice, henry, hugo
):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)  # 原值 3,600,000

    page = plan_page(client, alice, case)

    said = re.search(r"按审批规则，本资产([^，]+)须集体决策，请上传会议纪要", page)
    assert said and "出租出借" in said.group(1).split("、")


def test_a_directed_transfer_offers_only_units_that_hold_assets(
    client, building, alice, henry, hugo, town, fiona, sam, finance_bureau
):
    OrganizationFactory(name="茂县盘活工作协调机制办公室", short_name="协调办", kind="coordination_office")
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)

    units = options_of(plan_page(client, alice, case), "named_unit")

    assert town.name in units and alice.organization.name not in units  # not its own unit
    assert not {finance_bureau.name, sam.organization.name, hugo.organization.name, "茂县盘活工作协调机制办公室"} & set(
        units
    )


def test_the_report_form_preselects_the_standard_the_ledger_says_the_asset_meets(client, alice):
    row = ledger_row(资产编号="MX-YZ-FW-077", 使用状况="超标准配置", 停用日期=None, 闲置原因="")
    [asset] = import_ledger(alice, row)
    client.force_login(alice)

    page = client.get(reverse("cases:report", args=[asset.pk])).content.decode()

    assert re.search(r'<option value="over_standard"[^>]*selected', page)
    assert "认定为闲置时须提供" in page  # the evidence is asked of 闲置, not of this report


def test_the_unit_hears_once_when_the_window_closes(client, building, alice, henry, hugo):
    case = verified_via_urls(client, building, alice, henry, hugo)
    closes = fresh(case).listed_until

    assert window_closed_sweep(today=closes) == 0  # its last day: still open
    assert window_closed_sweep(today=closes + datetime.timedelta(days=1)) == 1
    assert window_closed_sweep(today=closes + datetime.timedelta(days=2)) == 0  # told once
    [told] = Notification.objects.filter(user=alice, message__startswith="调剂公示期已满")
    assert told.case_id == case.pk and building.code in told.message
