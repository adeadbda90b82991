"""The four disposal paths of the demo county, clicked through in chromium by the people who do them: a clerk
reports an idle asset, the unit head signs it off, the lead department's reviewer claims and verifies it, the clerk
proposes the plan, the department (and finance, where the routing asks) approves, the unit executes, and finance
closes the case (销号). 调剂 is photographed at every step; the other paths at their forms, the closed case and the
asset's file afterwards (artifacts/screenshots/<test>/)."""

import datetime
import re
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from assets.models import Asset, AssetStatus, OrganizationKind, Role, UsageStatus
from demo.county import HOLDING_UNITS, USERS
from documents.signing import verify_pdf
from workflows.models import CaseState, DisposalCase, DisposalMethod, Policy

from ..clock import TODAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FINANCE = "caizheng_sp"  # 茂县财政局's approver: approves, confirms remittances and closes (never records)
CLERK_OF = {spec.name: f"{spec.key}_jb" for spec in HOLDING_UNITS}
HEAD_OF = {spec.name: f"{spec.key}_fzr" for spec in HOLDING_UNITS}


def pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": PDF}


def today() -> datetime.date:
    return TODAY


# -- the demo ledger: assets picked by what they are, not by code, so a later day's ledger still has them ----------


def idle_asset(*, order_by: str = "code", **filters) -> Asset:
    """An idle asset past the idle period (with a month to spare), held by a unit that 县财政局 approves for."""
    cutoff = today() - relativedelta(months=Policy.current().idle_months + 1)
    asset = (
        Asset.objects.filter(usage_status=UsageStatus.IDLE, idle_since__lt=cutoff, status=AssetStatus.IN_USE, **filters)
        .exclude(holding_unit__kind=OrganizationKind.STATE_ENTERPRISE)
        .select_related("holding_unit", "category", "subtype")
        .order_by(order_by)
        .first()
    )
    assert asset is not None, f"the demo ledger has no idle asset matching {filters}"
    return asset


def reviewer_for(asset: Asset) -> str:
    """The demo's first 主管部门审核人 at the asset's lead department (机关事务管理局 for equipment, 住建局 …)."""
    department = asset.lead_department.name
    return next(u for u, role, org, _ in USERS if role == Role.DEPT_REVIEWER and org == department)


# -- what people do on the pages --------------------------------------------------------------------------------


WAIT_FOR_TEXT = """([selector, text, exact]) => [...document.querySelectorAll(selector)].some(
    (e) => (exact ? e.textContent.trim() === text : e.textContent.includes(text)))"""


def wait_for_text(page, selector: str, text: str, *, exact: bool = False) -> None:
    """Waits until an element matching `selector` shows `text`, checking at every animation frame. A step's next page
    is a Turbo render a tenth of a second away; expect()'s and wait_for()'s retries at growing intervals cost a
    quarter of this file's run time (four paths on a 2-core machine: 41 s instead of 55 s)."""
    page.wait_for_function(WAIT_FOR_TEXT, arg=[selector, text, exact], polling="raf")


def main(page):
    return page.locator(".ph-page")


def expect_message(page, text: str) -> None:
    wait_for_text(page, ".ph-page .ph-message--success", text)


def expect_state(page, label: str) -> None:
    expect(main(page).locator(".ph-card h2 .ph-tag").first).to_have_text(label)


def expect_form(page, title: str) -> None:
    wait_for_text(page, ".ph-page .ph-card h2", title, exact=True)


def submit(page, label: str, message: str) -> None:
    main(page).get_by_role("button", name=label, exact=True).click()
    try:
        expect_message(page, message)
    except PlaywrightTimeoutError:
        # A refused step comes back as the form with its errors (HTTP 422): say which, not just "timeout".
        errors = main(page).locator(".ph-errorlist").all_inner_texts()
        raise AssertionError(f"“{label}” did not lead to “{message}”; the form says: {errors}") from None


def report(county, asset: Asset, *, shots: bool = False) -> int:
    """The holding unit's clerk opens the asset's file, clicks 申报盘活 and reports it idle with its evidence."""
    page = county.as_(CLERK_OF[asset.holding_unit.name])
    page.goto(county.url(f"/register/{asset.pk}/"))
    expect(main(page)).to_contain_text(asset.code)
    if shots:
        county.shot(page, "clerk-asset-file")
    main(page).get_by_role("link", name="申报盘活").click()
    expect_form(page, f"申报盘活：{asset.code} {asset.name}")
    page.get_by_label("认定类型").select_option(label="闲置")
    page.get_by_label("申报说明").fill(f"{asset.name}自{asset.idle_since:%Y年%m月}起停用，本单位无后续使用计划。")
    page.get_by_label("停用说明", exact=True).set_input_files(pdf("停用说明.pdf"))
    page.get_by_label("会议纪要", exact=True).set_input_files(pdf("党组会议纪要.pdf"))
    county.shot(page, "clerk-report-form")
    submit(page, "提交申报", "已申报，待本单位负责人签发")
    expect_state(page, "待签发")
    if shots:
        county.shot(page, "clerk-case-reported")
    return int(re.search(r"/cases/(\d+)/", page.url).group(1))


def claim_in_queue(county, username: str, asset: Asset, title: str, *, shots: bool = False):
    """我的待办 → 办理, where the task was given to the user at once (the one person who can hold it); else
    待认领 → the row's 认领 button → the task's form."""
    page = county.as_(username)
    page.goto(county.url("/cases/inbox/"))
    row = main(page).locator("tbody tr", has_text=asset.code).filter(has_text=title)
    if row.count():
        if shots:
            county.shot(page, f"{username.replace('_', '-')}-inbox")
        row.get_by_role("link", name="办理").click()
        expect_form(page, title)
        return page
    page.goto(county.url("/cases/queue/"))
    row = main(page).locator("tbody tr", has_text=asset.code).filter(has_text=title)
    expect(row).to_have_count(1)
    if shots:
        county.shot(page, f"{username.replace('_', '-')}-queue")
    row.get_by_role("button", name="认领").click()
    expect_form(page, title)
    expect_message(page, f"已认领“{title}”")
    return page


def claim_on_case_page(county, username: str, case_pk: int, title: str):
    """The case page's 当前任务 table → 办理 if the task is the user's already, else 认领 → the task's form."""
    page = county.as_(username)
    page.goto(county.url(f"/cases/{case_pk}/"))
    row = page.locator("#tasks tbody tr", has_text=title)
    claim = row.get_by_role("button", name="认领")
    if claim.count():
        claim.click()
    else:
        row.get_by_role("link", name="办理").click()
    expect_form(page, title)
    return page


def sign_off_and_verify(county, asset: Asset, case_pk: int) -> None:
    """The unit head signs off; the lead department's reviewer verifies with a 核查记录 (the shared start)."""
    page = claim_on_case_page(county, HEAD_OF[asset.holding_unit.name], case_pk, "单位负责人签发")
    page.get_by_label("签发意见").fill("情况属实，同意申报。")
    submit(page, "签发报送", "已签发")
    page = claim_in_queue(county, reviewer_for(asset), asset, "主管部门核查认定")
    page.get_by_label("认定属实").check()
    page.get_by_label("意见", exact=True).fill("经现场核查，该资产停用已超过6个月，情况属实。")
    page.get_by_label("核查记录").set_input_files(pdf("现场核查记录.pdf"))
    submit(page, "提交", "核查认定意见已提交")
    expect_state(page, "已认定，待拟定方案")


def window_closes(county, clock) -> None:
    """调剂优先 (《茂县闲置低效资产资源盘活利用工作实施方案》二(八)2): a plan other than 调剂 waits for the board's
    window to close. Time moves past it, and everyone signs in again (a session lasts 14 days)."""
    clock.shift(datetime.timedelta(days=Policy.current().listing_window_days + 1))
    everyone_signs_in_again(county)


def everyone_signs_in_again(county) -> None:
    """After the clock has moved past a session's life: every page is closed, and each person signs in again through
    the login page when the test next asks for them."""
    for page in county.pages.values():
        page.context.close()
    county.pages.clear()


def approve(county, username: str, case_pk: int, title: str, opinion: str, *, then: str, shot: str) -> None:
    """主管部门审核方案 / 财政审批: 同意 with an opinion; the case is then in state `then`."""
    page = claim_on_case_page(county, username, case_pk, title)
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("意见", exact=True).fill(opinion)
    county.shot(page, shot)
    submit(page, "提交", "意见已提交")
    expect_state(page, then)


def dept_approves(county, asset: Asset, case_pk: int, opinion: str, *, then: str = "方案已批准") -> None:
    approve(county, reviewer_for(asset), case_pk, "主管部门审核方案", opinion, then=then, shot="reviewer-approve-form")


def finance_approves(county, case_pk: int, opinion: str) -> None:
    approve(county, FINANCE, case_pk, "财政审批", opinion, then="方案已批准", shot="finance-approve-form")


def finance_remit_and_close(county, case_pk: int, recorded: str):
    """财政确认收入上缴, then 销号; the closed case page shows the execution record (`recorded` is part of it)."""
    page = claim_on_case_page(county, FINANCE, case_pk, "财政确认收入上缴")
    page.get_by_label("确认").check()
    page.get_by_label("说明").fill("已核对国库缴款凭证。")
    county.shot(page, "finance-confirm-remittance-form")
    submit(page, "确认已上缴国库", "已确认收入上缴")
    page = claim_on_case_page(county, FINANCE, case_pk, "销号")
    page.get_by_label("确认").check()
    submit(page, "销号", "已销号")
    expect_state(page, "已销号")
    expect(page.locator("#execution")).to_contain_text(recorded)
    expect(page.locator("#timeline")).to_contain_text("确认收入上缴")
    county.shot(page, "case-closed")
    return page


def plan(
    county, asset: Asset, case_pk: int, method: str, summary: str, *, justification="", minutes=False, terms=None,
    picks=None,
):  # fmt: skip
    """`terms`: the method's key terms by their label on the plan form (e.g. 保留价（元）（拍卖）); `picks`: the ones
    answered from a list (e.g. 招租方式（出租出借）), by the option chosen."""
    page = claim_on_case_page(county, CLERK_OF[asset.holding_unit.name], case_pk, "拟定处置方案")
    page.get_by_label("盘活方式").select_option(label=method)
    page.get_by_label("处置方案").fill(summary)
    for label, value in (terms or {}).items():
        page.get_by_label(label, exact=True).fill(value)
    for label, option in (picks or {}).items():
        page.get_by_label(label, exact=True).select_option(label=option)
    if justification:
        page.get_by_label("未选调剂的理由").fill(justification)
    if minutes:
        page.get_by_label("会议纪要（集体决策）").set_input_files(pdf("处置方案集体决策会议纪要.pdf"))
    county.shot(page, "clerk-plan-form")
    submit(page, "提交处置方案", "处置方案已提交审核")
    expect_state(page, "方案审批中")


def record_result(
    county, asset: Asset, case_pk: int, fields: dict, files: dict, *, note: str, picks: dict | None = None
) -> None:
    """执行处置 in one step: the method's record, its evidence and the money (实收 − 费用 = 上缴); `picks`: the
    fields answered from a list (e.g. 付款周期), by the option chosen."""
    page = claim_on_case_page(county, CLERK_OF[asset.holding_unit.name], case_pk, "执行处置")
    page.get_by_label("说明", exact=True).fill(note)
    # 报废's form has two fields labelled 技术鉴定意见 (the text and its file), so the kind of input is said too.
    for label, value in fields.items():
        page.get_by_label(label, exact=True).and_(page.locator(":not([type=file])")).fill(value)
    for label, option in (picks or {}).items():
        page.get_by_label(label, exact=True).select_option(label=option)
    for label, name in files.items():
        page.get_by_label(label, exact=True).and_(page.locator("[type=file]")).set_input_files(pdf(name))
    county.shot(page, "clerk-result-form")
    submit(page, "登记执行结果", "执行结果已登记")
    expect_state(page, "已执行，待销号")


def asset_file(county, asset: Asset, status: str) -> None:
    """The holding unit's clerk opens the asset's file after 销号: its status and the closed case are there."""
    page = county.as_(CLERK_OF[asset.holding_unit.name])
    page.goto(county.url(f"/register/{asset.pk}/"))
    expect(main(page).locator(".ph-card h2 .ph-tag").first).to_have_text(status)
    expect(page.locator("#history")).to_contain_text("已销号")
    county.shot(page, "clerk-asset-file")


def expect_documents(county, page, case_pk: int, execution_title: str) -> None:
    """Every step issued its signed document: listed on the case page with a download link, none still 生成中;
    the 资产 documents download and verify, and the public verification page confirms them."""
    titles = ["闲置低效资产认定申报表", "核查认定意见书", "资产处置审批表（处置决定书）", execution_title, "销号确认单"]
    table = page.locator("#documents")
    for title in titles:
        row = table.locator("tbody tr", has_text=title).first
        expect(row.get_by_role("link", name="下载")).to_be_visible()
    expect(table).not_to_contain_text("生成中")
    row = table.locator("tbody tr", has_text=execution_title).first
    with page.expect_download() as download:
        row.get_by_role("link", name="下载").click()
    data = Path(download.value.path()).read_bytes()
    verdict = verify_pdf(data)
    assert verdict.valid, verdict.message
    county.shot(page, "case-documents")
    public = page.context.browser.new_page()  # no login: anyone with the QR code
    public.goto(county.url(row.get_by_role("link", name="核验").get_attribute("href")))
    expect(public.locator("body")).to_contain_text("签名有效，文件未被改动。")
    county.shot(public, "public-verify-page")
    public.close()


def closed_case(case_pk: int) -> DisposalCase:
    case = DisposalCase.objects.select_related("asset").get(pk=case_pk)
    assert (case.state, case.status) == (CaseState.CLOSED, "DONE")
    return case


# -- the four paths ---------------------------------------------------------------------------------------------


def test_reallocation_from_report_to_closing(county):
    """调剂, every page photographed: report, sign-off, verify in the inbox, apply on the board, plan, department
    approval, handover, receipt, 销号 (a computer: the department alone approves)."""
    computer = idle_asset(category__code="general_equipment", subtype__code="computer")
    holder = computer.holding_unit.name
    receiver = next(spec for spec in HOLDING_UNITS if spec.name != holder and spec.kind == OrganizationKind.TOWNSHIP)
    reviewer = reviewer_for(computer)

    # 1. 申报: the clerk reports the computer idle, with 停用说明 and 会议纪要.
    case_pk = report(county, computer, shots=True)

    # 2. 签发: the unit head claims it in 待认领 and signs it off.
    page = claim_in_queue(county, HEAD_OF[holder], computer, "单位负责人签发", shots=True)
    page.get_by_label("签发意见").fill("情况属实，同意申报。")
    county.shot(page, "head-sign-off-form")
    submit(page, "签发报送", "已签发，报送主管部门核查认定")
    expect_state(page, "待核查认定")
    county.shot(page, "head-signed-off")

    # 3. 核查认定: the reviewer claims it, finds it in 我的待办 and verifies it with a 核查记录.
    page = claim_in_queue(county, reviewer, computer, "主管部门核查认定", shots=True)
    page.goto(county.url("/cases/inbox/"))
    row = main(page).locator("tbody tr", has_text=computer.code)
    expect(row).to_contain_text("主管部门核查认定")
    county.shot(page, "reviewer-inbox")
    row.get_by_role("link", name="办理").click()
    expect_form(page, "主管部门核查认定")
    page.get_by_label("认定属实").check()
    page.get_by_label("意见", exact=True).fill("经现场核查，该计算机停用已超过6个月，情况属实。")
    page.get_by_label("核查记录").set_input_files(pdf("现场核查记录.pdf"))
    county.shot(page, "reviewer-verify-form")
    submit(page, "提交", "核查认定意见已提交")
    expect_state(page, "已认定，待拟定方案")
    county.shot(page, "reviewer-verified")

    # 4. 调剂共享平台: another unit's clerk applies for it while it is listed.
    page = county.as_(CLERK_OF[receiver.name])
    page.goto(county.url("/board/"))
    row = main(page).locator("tbody tr", has_text=computer.code)
    county.shot(page, "receiver-board")
    row.get_by_role("link", name="申请调剂").click()
    expect_form(page, f"申请调剂：{computer.code} {computer.name}")
    page.get_by_label("申请理由").fill("便民服务中心办公用机不足，申请调入使用。")
    county.shot(page, "receiver-apply-form")
    submit(page, "提交申请", "调剂申请已提交")
    expect(main(page).locator("tbody tr", has_text=computer.code)).to_contain_text("已申请")
    county.shot(page, "receiver-applied")

    # 5. 拟定处置方案: the holding unit's clerk picks 调剂 to the applicant.
    page = claim_on_case_page(county, CLERK_OF[holder], case_pk, "拟定处置方案")
    expect(main(page)).to_contain_text(receiver.name)  # the applications are listed under the form
    page.get_by_label("盘活方式").select_option(label="调剂")
    page.get_by_label("处置方案").fill(f"调剂给{receiver.name}用作便民服务中心办公用机。")
    page.get_by_label("调入单位").select_option(label=receiver.name)
    county.shot(page, "clerk-plan-form")
    submit(page, "提交处置方案", "处置方案已提交审核")
    expect_state(page, "方案审批中")
    county.shot(page, "clerk-plan-submitted")

    # 6. 主管部门审核方案: approved by the department alone (原值 under 50万, not a building, not an auction).
    dept_approves(county, computer, case_pk, "同意调剂。")
    county.shot(county.as_(reviewer), "reviewer-approved")

    # 7. 执行处置: the clerk records the handover.
    page = claim_on_case_page(county, CLERK_OF[holder], case_pk, "执行处置")
    page.get_by_label("交接日期").fill(today().isoformat())
    handover = f"{computer.name}（{computer.specification}）1台，含电源线、键盘、鼠标。"
    page.get_by_label("交接清单", exact=True).fill(handover)
    page.get_by_label("交接清单（附件）").set_input_files(pdf("交接清单.pdf"))
    county.shot(page, "clerk-handover-form")
    submit(page, "开始执行", "已开始执行处置方案")
    expect_state(page, "执行中")
    county.shot(page, "clerk-handed-over")

    # 8. 调入单位确认接收.
    page = claim_in_queue(county, CLERK_OF[receiver.name], computer, "接收单位确认接收", shots=True)
    page.get_by_label("确认").check()
    page.get_by_label("说明").fill("已接收，设备完好。")
    county.shot(page, "receiver-confirm-form")
    submit(page, "确认接收", "已确认接收，待财政销号")
    expect_state(page, "已执行，待销号")
    county.shot(page, "receiver-confirmed")

    # 9. 销号: finance's one approver finds it in 我的待办 (given to the one person who can hold it; with colleagues
    # it would wait in 待认领, claimed there one by one or with 认领所选).
    page = claim_in_queue(county, FINANCE, computer, "销号", shots=True)
    page.get_by_label("确认").check()
    county.shot(page, "finance-close-form")
    submit(page, "销号", "已销号，资产台账已更新")
    expect_state(page, "已销号")
    expect(page.locator("#timeline")).to_contain_text("含电源线、键盘、鼠标")  # the handover list, as recorded
    county.shot(page, "case-closed")
    expect_documents(county, page, case_pk, "资产调拨单")

    # The asset now belongs to the receiving unit, in use, and its file shows the closed case.
    case = closed_case(case_pk)
    asset = Asset.objects.select_related("holding_unit").get(pk=computer.pk)
    assert (asset.holding_unit.name, asset.status) == (receiver.name, AssetStatus.IN_USE)
    assert case.receiving_unit.name == receiver.name
    page = county.as_(CLERK_OF[receiver.name])
    page.goto(county.url(f"/register/{computer.pk}/"))
    expect(main(page)).to_contain_text(receiver.name)
    county.shot(page, "receiver-asset-file")
    assert county.problems == []


def test_lease_of_a_building_through_finance_with_the_rent_remitted(county, clock):
    """出租: a building (住建局 verifies), 原值 ≥ 50万 so finance approves and the plan needs 会议纪要; the rent is
    recorded net of fees, finance confirms it reached the treasury, then closes."""
    building = idle_asset(category__code="building")
    assert building.original_value >= 500_000
    case_pk = report(county, building)
    sign_off_and_verify(county, building, case_pk)
    window_closes(county, clock)
    plan(
        county, building, case_pk, "出租出借", "整体公开招租，引入经营主体，租期3年。",
        justification="该房屋面积大、位置偏，公示期内无单位有使用需求，出租可增加收入。", minutes=True,
        terms={"底价（年租金，元）（出租出借）": "48000", "租期起（出租出借）": today().isoformat(),
               "租期止（出租出借）": (today() + relativedelta(years=3, days=-1)).isoformat()},
        picks={"招租方式（出租出借）": "公开招租"},
    )  # fmt: skip
    dept_approves(county, building, case_pk, "同意公开招租。", then="方案审批中")  # finance approves next
    finance_approves(county, case_pk, "同意公开招租，租金收入上缴国库。")
    starts = today()
    record_result(
        county,
        building,
        case_pk,
        {
            "底价（年租金，元）": "48000",
            "公开招租结果": "公开招租，3家竞租，茂县羌韵餐饮有限公司以最高价中选。",
            "承租方": "茂县羌韵餐饮有限公司",
            "租期起": starts.isoformat(),
            "租期止": (starts + relativedelta(years=3, days=-1)).isoformat(),
            "年租金（元）": "52000",
            "保证金（元）": "10000",
            "合同编号": "MXZL-2026-018",
            "实收金额（元）": "52000",
            "费用（元）": "2000",
            "上缴国库金额（元）": "50000",
            "缴款凭证号": "川财缴2026-00123",
        },
        {"租赁合同（附件）": "租赁合同.pdf", "缴款凭证": "缴款凭证.pdf"},
        note="已委托县公共资源交易中心公开招租。",
    )
    page = finance_remit_and_close(county, case_pk, recorded="茂县羌韵餐饮有限公司")
    expect_documents(county, page, case_pk, "出租备案表")
    asset_file(county, building, "已盘活")

    case = closed_case(case_pk)
    assert (case.method, case.needs_finance, case.needs_collective_decision) == (DisposalMethod.LEASE, True, True)
    assert (case.amount_received, case.fees, case.amount_remitted) == (52000, 2000, 50000)
    assert Asset.objects.get(pk=building.pk).status == AssetStatus.REVITALIZED
    assert county.problems == []


def test_auction_of_a_vehicle_with_a_valid_appraisal(county, clock):
    """拍卖: a vehicle (机关事务管理局 verifies); any auction goes to finance; the deal needs an appraisal report
    dated within a year, a reserve at least the appraisal and a bid of at least 90 % of it."""
    vehicle = idle_asset(category__code="general_equipment", subtype__code="vehicle")
    case_pk = report(county, vehicle)
    sign_off_and_verify(county, vehicle, case_pk)
    window_closes(county, clock)
    plan(
        county, vehicle, case_pk, "拍卖（公开转让）", "车辆已超编且老化，委托县公共资源交易中心公开拍卖。",
        justification="公务用车改革后各单位无调入需求，公示期内无单位申请。",
        terms={"评估报告编号（拍卖）": "川华评报字〔2026〕第0312号", "评估值（元）（拍卖）": "60000",
               "评估基准日（拍卖）": (today() - datetime.timedelta(days=45)).isoformat(),
               "保留价（元）（拍卖）": "60000"},
    )  # fmt: skip
    dept_approves(county, vehicle, case_pk, "同意公开拍卖。", then="方案审批中")  # finance approves next
    finance_approves(county, case_pk, "同意公开拍卖，收入上缴国库。")
    record_result(
        county,
        vehicle,
        case_pk,
        {
            "评估报告编号": "川华评报字〔2026〕第0312号",
            "评估值（元）": "60000",
            "评估基准日": (today() - datetime.timedelta(days=45)).isoformat(),
            "交易场所": "茂县公共资源交易中心",
            "保留价（元）": "60000",
            "成交价（元）": "68000",
            "买受人": "阿坝州某汽车贸易有限公司",
            "成交日期": today().isoformat(),
            "实收金额（元）": "68000",
            "费用（元）": "3400",
            "上缴国库金额（元）": "64600",
            "缴款凭证号": "川财缴2026-00456",
        },
        {"评估报告（附件）": "资产评估报告.pdf", "缴款凭证": "缴款凭证.pdf"},
        note="已委托评估并进场挂牌。",
    )
    page = finance_remit_and_close(county, case_pk, recorded="阿坝州某汽车贸易有限公司")
    expect_documents(county, page, case_pk, "成交确认书")
    asset_file(county, vehicle, "已处置")

    case = closed_case(case_pk)
    assert (case.method, case.needs_finance, case.amount_remitted) == (DisposalMethod.AUCTION, True, 64600)
    assert Asset.objects.get(pk=vehicle.pk).status == AssetStatus.DISPOSED
    assert county.problems == []


def test_scrap_of_an_old_computer_with_its_residual_value_remitted(county, clock):
    """报废: a computer past its 6-year minimum service life (no technical appraisal needed), approved by the
    department alone; the recycler's residual value is remitted before 销号."""
    computer = idle_asset(
        category__code="general_equipment", subtype__code="computer",
        acquired_on__lt=today() - relativedelta(years=7), order_by="acquired_on",
    )  # fmt: skip
    case_pk = report(county, computer)
    sign_off_and_verify(county, computer, case_pk)
    window_closes(county, clock)
    plan(county, computer, case_pk, "报废", "已超最低使用年限，主板损坏，无维修价值，按规定报废。")
    dept_approves(county, computer, case_pk, "同意报废。")
    record_result(
        county,
        computer,
        case_pk,
        {
            "技术鉴定意见": "主板老化损坏，维修费用高于残值，不具备使用价值。",
            "回收单位": "茂县再生资源回收站",
            "残值回收（元）": "150",
            "实收金额（元）": "150",
            "费用（元）": "0",
            "上缴国库金额（元）": "150",
            "缴款凭证号": "川财缴2026-00789",
        },
        {"缴款凭证": "缴款凭证.pdf"},
        note="已联系再生资源回收单位。",
    )
    page = finance_remit_and_close(county, case_pk, recorded="茂县再生资源回收站")
    expect_documents(county, page, case_pk, "报废处置单")
    asset_file(county, computer, "已处置")

    case = closed_case(case_pk)
    assert (case.method, case.needs_finance, case.amount_remitted) == (DisposalMethod.SCRAP, False, 150)
    assert Asset.objects.get(pk=computer.pk).status == AssetStatus.DISPOSED
    assert county.problems == []
