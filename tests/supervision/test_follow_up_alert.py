"""跟进日期已过: land kept on its ledger by 延长动工期限 or 安排临时使用 (seed 000 二(一)2) is raised on the dashboard
once its follow-up date has passed and nobody found it back in use; the lead department's 跟进核查 takes it off."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from assets.models import Asset, AssetStatus, Role
from assets.selectors import SupervisionScope
from audit.models import AuditEvent
from supervision.dashboard import follow_ups_due
from workflows import methods
from workflows.flows import DisposalFlow
from workflows.models import CaseState

from ..clock import TODAY, at
from ..factories import UserFactory
from ..workflows.test_flow_urls import claim, do, fresh, pdf, url, verified_via_urls
from ..workflows.test_methods import SCENARIOS, _files, approve_plan, imported, lead_reviewer, plan_page
from .test_dashboard_polish import DASHBOARD, export, sheet_rows, table_of

pytestmark = pytest.mark.django_db

COUNTY = SupervisionScope("county")


def closed_land_case(client, code, alice, henry, fiona, fred):
    """A land case of `code` taken to 销号 through the URLs as its real users; returns (case, reviewer)."""
    scenario, spec = SCENARIOS[code], methods.get(code)
    asset_code, name, category, subtype, value, extra = scenario["asset"]
    asset = imported(alice, asset_code, name, category, subtype, value, **extra)
    reviewer = lead_reviewer(asset)
    case = verified_via_urls(client, asset, alice, henry, reviewer, window_closed=True)
    plan_page(client, alice, case)
    plan = {"method": code, "summary": f"{spec.label}方案", "minutes": pdf("会议纪要.pdf"), **scenario["plan"]}
    do(client, alice, case, DisposalFlow.plan, plan, claim_first=False)
    approve_plan(client, case, reviewer, fiona)
    task = claim(client, alice, case, DisposalFlow.execute)
    assert client.post(url(DisposalFlow.execute, task), _files(scenario["execute"])).status_code == 302
    closer = fiona
    if fresh(case).amount_due:
        do(client, fred, case, DisposalFlow.confirm_remittance, {"confirm": "on"})
        closer = fred
    do(client, closer, case, DisposalFlow.close, {"confirm": "on", "note": "同意销号"})
    assert fresh(case).state == CaseState.CLOSED
    assert Asset.objects.get(pk=case.asset_id).status == AssetStatus.REVITALIZED  # stays on the unit's ledger
    return fresh(case), reviewer


def follow_up_on(code):
    return datetime.date.fromisoformat(SCENARIOS[code]["execute"][methods.get(code).follow_up_field])


@pytest.mark.parametrize("code", ["extend_start", "temporary_use"])
def test_land_past_its_follow_up_date_is_raised_on_the_dashboard_and_in_its_export(
    client, code, alice, henry, fiona, fred, bob, sam
):
    case, _ = closed_land_case(client, code, alice, henry, fiona, fred)
    due = follow_up_on(code)
    assert follow_ups_due(COUNTY, TODAY)["count"] == 0
    assert follow_ups_due(COUNTY, due)["count"] == 0  # on the day itself: not yet past

    with time_machine.travel(at(due + datetime.timedelta(days=3)), tick=False):
        today = due + datetime.timedelta(days=3)
        alert = follow_ups_due(COUNTY, today)
        assert alert["count"] == 1
        row = alert["rows"][0]
        assert (row["case_id"], row["follow_up_on"], row["days"]) == (case.pk, due, 3)
        assert row["detail"].startswith(methods.get(code).label) and "已过3日" in row["detail"]

        client.force_login(sam)  # the 审计局's supervisor: the county's dashboard
        page = client.get(DASHBOARD).content.decode()
        section = page[page.index('id="alert-follow_ups_due"') :]
        assert "跟进日期已过（1）" in section and reverse("cases:process_detail", args=[case.pk]) in section
        rows = sheet_rows(export(client, "follow_ups_due"))
        assert rows[0][0] == "预警：跟进日期已过" and "共 1 项" in rows[1][0]
        [line] = table_of(rows, "序号")
        assert line[1] == case.pk and line[2] == case.asset.code and "已过3日" in line[5]

        client.force_login(bob)  # another unit's clerk: not his unit's land
        assert table_of(sheet_rows(export(client, "follow_ups_due")), "序号") == []
        client.force_login(alice)
        assert len(table_of(sheet_rows(export(client, "follow_ups_due")), "序号")) == 1


def test_the_departments_follow_up_takes_the_land_off_the_alert_and_only_it_may_record_one(
    client, alice, henry, fiona, fred
):
    case, reviewer = closed_land_case(client, "extend_start", alice, henry, fiona, fred)
    link = reverse("cases:follow_up", args=[case.pk])
    with time_machine.travel(at(follow_up_on("extend_start") + datetime.timedelta(days=10)), tick=False):
        today = follow_up_on("extend_start") + datetime.timedelta(days=10)
        assert follow_ups_due(COUNTY, today)["count"] == 1

        client.force_login(alice)  # the holding unit may not find its own land in use
        assert link not in client.get(f"/cases/{case.pk}/").content.decode()
        assert client.post(link, {"note": "已动工"}).status_code == 403
        other = UserFactory(organization=fiona.organization, roles=[Role.DEPT_REVIEWER])  # not the lead department
        client.force_login(other)
        assert client.post(link, {"note": "已动工"}).status_code in (403, 404)

        client.force_login(reviewer)  # 县自然资源局
        assert link in client.get(f"/cases/{case.pk}/").content.decode()
        response = client.post(link, {"note": "  "})
        assert response.status_code == 422 and "核查情况" in response.content.decode()
        assert Asset.objects.get(pk=case.asset_id).status == AssetStatus.REVITALIZED  # nothing written
        response = client.post(link, {"note": "经现场核查，已于本月动工建设"})
        assert response.status_code == 302

        assert Asset.objects.get(pk=case.asset_id).status == AssetStatus.IN_USE
        assert follow_ups_due(COUNTY, today)["count"] == 0
        event = AuditEvent.objects.get(action="follow_up", case=case)
        assert event.actor == reviewer and event.data["note"] == "经现场核查，已于本月动工建设"
        assert "跟进核查" in client.get(f"/cases/{case.pk}/").content.decode()  # on the case's trail
        assert client.post(link, {"note": "再次核查"}).status_code == 403  # once: nothing is pending any more
