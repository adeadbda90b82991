"""Two of the seeds' further 盘活方式, clicked through in chromium by the people who do them (issue 13 §4): 委托运营 of
an idle building (the fee is remitted before 销号, the building stays on the ledger as 已盘活) and 无偿划转 of an idle
school building to the town's government (the town confirms receipt and the building moves to its ledger). The unit
head and the receiving town do their steps on a phone; every form and the closed case are photographed at a
desktop's width and at a phone's 390 px (artifacts/screenshots/<test>/)."""

import pytest
from dateutil.relativedelta import relativedelta
from playwright.sync_api import expect

from assets.models import Asset, AssetStatus, OrganizationKind
from demo.county import HOLDING_UNITS
from workflows.models import CaseState, DisposalCase

from .test_paths import (
    CLERK_OF,
    FINANCE,
    HEAD_OF,
    expect_documents,
    expect_form,
    expect_state,
    idle_asset,
    main,
    pdf,
    report,
    reviewer_for,
    submit,
    today,
    window_closes,
)
from .test_phone import OVERFLOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


# -- a task, on the case page, by the person who does it, on a desktop or on a phone ----------------------------------


def open_task(county, username: str, case_pk: int, title: str, *, phone: bool = False):
    """The case page's 当前任务 → 认领 (or 办理 when it is theirs already) → the task's form, its heading awaited."""
    page = county.as_(username, phone=phone)
    page.goto(county.url(f"/cases/{case_pk}/"))
    expect(main(page)).to_contain_text(title)
    row = page.locator("#tasks tbody tr", has_text=title)
    claim = row.get_by_role("button", name="认领")
    if claim.count():
        claim.click()
    else:
        row.get_by_role("link", name="办理").click()
    expect_form(page, title)
    return page


def photographed(county, page, username: str, slug: str, *, phone: bool) -> list[str]:
    """Photographs the page where it is, and the same page in the other browser of the same person (the phone's or
    the desktop's), reloaded there; returns how the phone's page overflows its 390 px (nothing when it fits)."""
    other = county.as_(username, phone=not phone)
    other.goto(page.url)
    other.locator(".ph-page .ph-card h2:visible").first.wait_for()  # a tab of the dashboard hides the others
    desktop, handset = (other, page) if phone else (page, other)
    county.shot(desktop, f"{slug}-desktop")
    county.shot(handset, f"{slug}-phone")
    overflow = handset.evaluate(OVERFLOW, handset.viewport_size["width"])
    if not overflow:
        return []
    return [f"{slug}: {overflow['scrollWidth']} px wide in {overflow['width']} px", *overflow["culprits"]]


def sign_off_on_the_phone(county, asset: Asset, case_pk: int) -> list[str]:
    head = HEAD_OF[asset.holding_unit.name]
    page = open_task(county, head, case_pk, "单位负责人签发", phone=True)
    page.get_by_label("签发意见").fill("情况属实，同意申报。")
    problems = photographed(county, page, head, "head-sign-off-form", phone=True)
    submit(page, "签发报送", "已签发，报送主管部门核查认定")
    expect_state(page, "待核查认定")
    return problems


def verify(county, asset: Asset, case_pk: int) -> list[str]:
    reviewer = reviewer_for(asset)
    page = open_task(county, reviewer, case_pk, "主管部门核查认定")
    page.get_by_label("认定属实").check()
    page.get_by_label("意见", exact=True).fill(f"经现场核查，{asset.name}停用已超过6个月，情况属实。")
    page.get_by_label("核查记录").set_input_files(pdf("现场核查记录.pdf"))
    problems = photographed(county, page, reviewer, "reviewer-verify-form", phone=False)
    submit(page, "提交", "核查认定意见已提交")
    expect_state(page, "已认定，待拟定方案")
    return problems


def approve(county, username: str, case_pk: int, title: str, opinion: str, *, then: str, slug: str) -> list[str]:
    page = open_task(county, username, case_pk, title)
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("意见", exact=True).fill(opinion)
    problems = photographed(county, page, username, slug, phone=False)
    submit(page, "提交", "意见已提交")
    expect_state(page, then)
    return problems


def close(county, case_pk: int, *, recorded: str) -> tuple[object, list[str]]:
    """销号 by finance; the closed case shows the state, the execution record and its trail."""
    page = open_task(county, FINANCE, case_pk, "销号")
    page.get_by_label("确认").check()
    page.get_by_label("说明").fill("资料齐全，同意销号。")
    problems = photographed(county, page, FINANCE, "finance-close-form", phone=False)
    submit(page, "销号", "已销号，资产台账已更新")
    expect_state(page, "已销号")
    expect(page.locator("#execution")).to_contain_text(recorded)
    problems += photographed(county, page, FINANCE, "case-closed", phone=False)
    return page, problems


def closed(case_pk: int) -> DisposalCase:
    case = DisposalCase.objects.select_related("asset__holding_unit", "receiving_unit").get(pk=case_pk)
    assert (case.state, case.status) == (CaseState.CLOSED, "DONE")
    return case


# -- 委托运营 -------------------------------------------------------------------------------------------------------


def test_entrusted_operation_of_a_building_from_report_to_closing(county, clock):
    """委托运营: a building (住建局 verifies), 原值 ≥ 50万 so finance approves too; the operator was openly selected,
    the first year's fee is remitted and confirmed by finance before 销号; the building stays on its unit's ledger as
    已盘活 and the signed 委托运营备案表 is on the case page."""
    building = idle_asset(category__code="building")
    holder = building.holding_unit.name
    clerk, reviewer = CLERK_OF[holder], reviewer_for(building)
    problems: list[str] = []

    case_pk = report(county, building)
    problems += sign_off_on_the_phone(county, building, case_pk)
    problems += verify(county, building, case_pk)
    window_closes(county, clock)  # 调剂优先: the board's window closes before a plan other than 调剂

    # 拟定处置方案: 委托运营 with its approved term; the plan form lists what each method requires.
    starts, ends = today(), today() + relativedelta(years=5, days=-1)
    page = open_task(county, clerk, case_pk, "拟定处置方案")
    expect(main(page).locator(".ph-hints")).to_contain_text("运营方经公开遴选产生")
    page.get_by_label("盘活方式").select_option(label="委托运营")
    page.get_by_label("处置方案").fill("公开遴选专业机构整体运营五年，收取年运营费，运营费收入上缴国库。")
    page.get_by_label("遴选方式（委托运营）").select_option(label="公开遴选")
    # Only the chosen method's fields show: another method's are hidden (method-fields.js, and [hidden] in the CSS).
    other = page.get_by_label("招租方式（出租出借）")  # 出租出借 is offered for a building too
    expect(other).to_have_count(1)
    expect(other).to_be_hidden()
    page.get_by_label("运营期限起（委托运营）").fill(starts.isoformat())
    page.get_by_label("运营期限止（委托运营）").fill(ends.isoformat())
    page.get_by_label("未选调剂的理由").fill("公示期内无单位申请调剂，委托运营可保值增收。")
    page.get_by_label("会议纪要（集体决策）").set_input_files(pdf("处置方案集体决策会议纪要.pdf"))
    problems += photographed(county, page, clerk, "clerk-plan-form", phone=False)
    submit(page, "提交处置方案", "处置方案已提交审核")
    expect_state(page, "方案审批中")

    problems += approve(
        county, reviewer, case_pk, "主管部门审核方案", "同意委托运营。", then="方案审批中", slug="reviewer-approve-form"
    )
    problems += approve(
        county,
        FINANCE,
        case_pk,
        "财政审批",
        "同意，运营费收入上缴国库。",
        then="方案已批准",
        slug="finance-approve-form",
    )

    # 执行处置: the clerk records the contract and the first year's fee, with the contract and the receipt.
    page = open_task(county, clerk, case_pk, "执行处置")
    expect(page.get_by_label("运营期限止", exact=True)).to_have_value(ends.isoformat())  # the approved terms
    expect(page.get_by_label("遴选方式", exact=True)).to_have_value("公开遴选")
    fields = {
        "运营方": "茂县羌韵文旅运营有限公司",
        "年运营费（元）": "86000",
        "合同编号": "茂运〔2026〕1号",
        "实收金额（元）": "86000",
        "费用（元）": "0",
        "上缴国库金额（元）": "86000",
        "缴款凭证号": "川财缴2026-00777",
    }
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("说明", exact=True).fill("经县公共资源交易中心公开遴选，已签订委托运营合同。")
    page.get_by_label("委托运营合同（附件）").set_input_files(pdf("委托运营合同.pdf"))
    page.get_by_label("缴款凭证", exact=True).set_input_files(pdf("缴款凭证.pdf"))
    problems += photographed(county, page, clerk, "clerk-result-form", phone=False)
    submit(page, "登记执行结果", "执行结果已登记")
    expect_state(page, "已执行，待销号")

    # 收支两条线: finance confirms the fee reached the treasury, then closes.
    page = open_task(county, FINANCE, case_pk, "财政确认收入上缴")
    expect(main(page)).to_contain_text("86,000.00")  # the box says what is confirmed
    page.get_by_label("确认").check()
    page.get_by_label("说明").fill("已核对国库缴款凭证。")
    problems += photographed(county, page, FINANCE, "finance-confirm-remittance-form", phone=False)
    submit(page, "确认已上缴国库", "已确认收入上缴")
    page, more = close(county, case_pk, recorded="茂县羌韵文旅运营有限公司")
    problems += more
    expect(page.locator("#timeline")).to_contain_text("确认收入上缴")
    expect_documents(county, page, case_pk, "委托运营备案表")

    # The building stays with its unit, 已盘活 while the operation runs; its file says so.
    page = county.as_(clerk)
    page.goto(county.url(f"/register/{building.pk}/"))
    expect(main(page).locator(".ph-card h2 .ph-tag").first).to_have_text("已盘活")
    expect(page.locator("#history")).to_contain_text("已销号")
    problems += photographed(county, page, clerk, "clerk-asset-file", phone=False)

    case = closed(case_pk)
    assert (case.method, case.needs_finance, case.amount_remitted) == ("entrusted_ops", True, 86000)
    assert case.execution.value("ops_ends_on") == ends
    asset = Asset.objects.get(pk=building.pk)
    assert (asset.holding_unit.name, asset.status) == (holder, AssetStatus.REVITALIZED)
    assert problems == [], "\n".join(problems)
    assert county.problems == []


# -- 无偿划转 -------------------------------------------------------------------------------------------------------


def the_town_of(asset: Asset):
    """The township government of the place the asset is in (移交属地政府), else the first other township."""
    towns = [s for s in HOLDING_UNITS if s.kind == OrganizationKind.TOWNSHIP and s.name != asset.holding_unit.name]
    local = [s for s in towns if s.name.removeprefix("茂县").removesuffix("人民政府") in asset.address]
    return (local or towns)[0]


def test_free_transfer_of_a_school_building_to_its_town_from_report_to_closing(county, clock):
    """无偿划转 (统筹划转，移交属地政府): an idle school building (教育局 verifies) goes to the town's government,
    named in the plan with the approval's number; the school records the handover, the town's clerk confirms receipt
    on her phone, finance closes, the building is on the town's ledger and the 资产划转通知书 is signed by both."""
    school = idle_asset(category__code="public_welfare", subtype__code="school")
    holder = school.holding_unit.name
    town = the_town_of(school)
    clerk, reviewer, receiver = CLERK_OF[holder], reviewer_for(school), CLERK_OF[town.name]
    basis = "茂府函〔2026〕12号"
    problems: list[str] = []

    case_pk = report(county, school)
    problems += sign_off_on_the_phone(county, school, case_pk)
    problems += verify(county, school, case_pk)
    window_closes(county, clock)

    # 拟定处置方案: 无偿划转 names the town directly (no 调剂 board) and the basis of the transfer.
    page = open_task(county, clerk, case_pk, "拟定处置方案")
    expect(main(page).locator(".ph-hints")).to_contain_text("方案直接指定划入单位")
    page.get_by_label("盘活方式").select_option(label="无偿划转")
    page.get_by_label("处置方案").fill(f"按县政府统筹安排，将{school.name}无偿划转{town.name}，用作村级便民服务场所。")
    page.get_by_label("划入单位").select_option(label=town.name)
    page.get_by_label("划转依据（批复文号）（无偿划转）").fill(basis)
    page.get_by_label("未选调剂的理由").fill("县政府统筹划转，移交属地镇人民政府。")
    page.get_by_label("会议纪要（集体决策）").set_input_files(pdf("校务会会议纪要.pdf"))
    problems += photographed(county, page, clerk, "clerk-plan-form", phone=False)
    submit(page, "提交处置方案", "处置方案已提交审核")
    expect_state(page, "方案审批中")

    problems += approve(
        county, reviewer, case_pk, "主管部门审核方案", "同意划转。", then="方案审批中", slug="reviewer-approve-form"
    )
    problems += approve(
        county, FINANCE, case_pk, "财政审批", "同意无偿划转。", then="方案已批准", slug="finance-approve-form"
    )

    # 执行处置: the school records the handover, with the approval and the handover list.
    page = open_task(county, clerk, case_pk, "执行处置")
    expect(page.get_by_label("划转依据（批复文号）", exact=True)).to_have_value(basis)  # from the approved plan
    page.get_by_label("交接日期").fill(today().isoformat())
    page.get_by_label("交接清单", exact=True).fill(f"{school.name}及钥匙、竣工图纸、不动产权证书原件。")
    page.get_by_label("划转批复文件（附件）").set_input_files(pdf("划转批复.pdf"))
    page.get_by_label("交接清单（附件）").set_input_files(pdf("交接清单.pdf"))
    page.get_by_label("说明", exact=True).fill("已与镇政府现场交接。")
    problems += photographed(county, page, clerk, "clerk-handover-form", phone=False)
    submit(page, "开始执行", "已开始执行处置方案")
    expect_state(page, "执行中")

    # The town's clerk confirms receipt on her phone.
    page = open_task(county, receiver, case_pk, "接收单位确认接收", phone=True)
    expect(main(page)).to_contain_text(school.code)
    expect(main(page)).to_contain_text(f"无偿划转（划入单位：{town.name}）")
    expect(main(page)).to_contain_text(f"本人确认：本单位已接收{school.name}（交接清单：{school.name}及钥匙")
    page.get_by_label("确认").check()
    page.get_by_label("说明").fill("已接收，房屋及资料完好。")
    problems += photographed(county, page, receiver, "town-confirm-receipt-form", phone=True)
    submit(page, "确认接收", "已确认接收，待财政销号")
    expect_state(page, "已执行，待销号")

    # It earns nothing: no remittance to confirm, 销号 next.
    page, more = close(county, case_pk, recorded=basis)
    problems += more
    expect(page.locator("#timeline")).to_contain_text("已接收，房屋及资料完好")
    expect_documents(county, page, case_pk, "资产划转通知书")

    # The building is on the town's ledger now, in use; the town's clerk sees it in her register.
    page = county.as_(receiver)
    page.goto(county.url(f"/register/{school.pk}/"))
    expect(main(page).locator(".ph-card h2 .ph-tag").first).to_have_text("在用")
    expect(main(page)).to_contain_text(town.name)
    expect(page.locator("#history")).to_contain_text("已销号")
    problems += photographed(county, page, receiver, "town-asset-file", phone=False)

    case = closed(case_pk)
    assert (case.method, case.receiving_unit.name, case.amount_due) == ("free_transfer", town.name, None)
    asset = Asset.objects.select_related("holding_unit").get(pk=school.pk)
    assert (asset.holding_unit.name, asset.status) == (town.name, AssetStatus.IN_USE)
    assert problems == [], "\n".join(problems)
    assert county.problems == []
