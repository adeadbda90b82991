"""A supervisor's day, in chromium with the demo county: 审计局's supervisor logs in, opens the 调度看板, drills into
an overdue case, opens its trail, downloads the asset's archive package (which verifies) and the month's 月调度 as
Excel and as a signed PDF. Screenshots in artifacts/screenshots/a_supervisor_drills_from_the_dashboard_…/."""

import datetime
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from documents.signing import verify_pdf
from supervision.archive import archive_verify
from workflows.models import DisposalCase

from ..clock import TODAY
from .test_paths import idle_asset, main, report, sign_off_and_verify, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SUPERVISOR = "shenji_jd"  # 茂县审计局


def downloaded(page, click) -> tuple[str, bytes]:
    with page.expect_download() as download:
        click()
    return download.value.suggested_filename, Path(download.value.path()).read_bytes()


def test_a_supervisor_drills_from_the_dashboard_into_an_overdue_case_and_takes_its_archive(county):
    # A unit reports an idle computer and the department verifies it; the plan is then left past its deadline.
    computer = idle_asset(category__code="general_equipment", subtype__code="computer")
    case_pk = report(county, computer)
    sign_off_and_verify(county, computer, case_pk)
    overdue_since = TODAY - datetime.timedelta(days=6)
    DisposalCase.objects.filter(pk=case_pk).update(step_due_on=overdue_since)

    page = county.as_(SUPERVISOR)
    page.goto(county.url("/supervision/dashboard/"))
    wait_for_text(page, "#overdue h2", "超期未办环节（1 件）")
    page.wait_for_function("() => window.Chart !== undefined && document.querySelectorAll('canvas').length > 3")
    county.shot(page, "dashboard")

    # 超期: under 预警, the case is listed with its step, who holds it and by how many days.
    page.locator("#dash-nav a[data-tab=alerts]").click()
    row = page.locator("#overdue tbody tr", has_text=computer.code)
    expect(row).to_contain_text("超期 6 天")
    row.get_by_role("link", name=f"#{case_pk}").click()
    wait_for_text(page, "h2", computer.code)
    expect(main(page)).to_contain_text("已超期")
    county.shot(page, "overdue-case")

    # Its trail: who reported, signed off and verified it, with the documents the steps produced.
    main(page).get_by_role("link", name="审计轨迹").click()
    wait_for_text(page, ".ph-trail tbody", "认定属实")
    trail = page.locator(".ph-trail tbody")
    for action in ("申报", "签发报送", "认定属实", "签发文书"):
        expect(trail).to_contain_text(action)
    expect(trail.get_by_role("link", name="核验").first).to_be_visible()
    county.shot(page, "case-trail")

    # The asset's archive package: downloads and proves itself.
    page.go_back()
    wait_for_text(page, "h2", computer.code)
    name, data = downloaded(page, lambda: main(page).get_by_role("link", name="导出档案包").click())
    assert name == f"{computer.code}-档案包.zip"
    check = archive_verify(data)
    assert check.valid, check.message

    # 月调度: the month's report as Excel, then as a signed PDF from the reports page.
    page.goto(county.url("/supervision/dashboard/"))
    wait_for_text(page, "#overdue h2", "超期未办环节")
    name, data = downloaded(page, lambda: main(page).get_by_role("link", name="导出 Excel", exact=True).click())
    assert name.endswith(".xlsx") and "月调度" in name
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert len(workbook.sheetnames) >= 2
    page.goto(county.url("/supervision/reports/"))
    page.locator("#report-form").get_by_role("button", name="生成签章 PDF").click()
    link = main(page).get_by_role("link", name="下载 PDF").first
    for _ in range(20):  # the PDF is issued right after the request commits; the list shows 生成中 until then
        if link.count():
            break
        page.wait_for_timeout(250)
        page.reload()
    county.shot(page, "reports")
    name, data = downloaded(page, lambda: link.click())
    verdict = verify_pdf(data)
    assert verdict.valid, verdict.message
    assert not county.problems, county.problems
