"""A day's work in the browser, for each person the issue names: a clerk, the unit head, the department's reviewer,
the finance approver and the department head. Each starts from the home page and moves only by what the pages offer
(tiles, 我的待办, 办理, the case page): no typed address, so a dead end fails the test. A return comes back
prefilled (nothing retyped), and every decision form shows what is decided on (no decision taken blind).
Screenshots: artifacts/browser/a_day_of_work_for_each_role/."""

import re

import pytest
from dateutil.relativedelta import relativedelta
from playwright.sync_api import expect

from workflows.models import CaseState, DisposalCase

from .test_paths import (
    CLERK_OF,
    FINANCE,
    HEAD_OF,
    expect_form,
    expect_state,
    idle_asset,
    main,
    pdf,
    reviewer_for,
    submit,
    today,
    wait_for_text,
    window_closes,
)

LEASE_PLAN_TERMS = {
    "底价（年租金，元）（出租出借）": "48000",
    "租期起（出租出借）": today().isoformat(),
    "租期止（出租出借）": (today() + relativedelta(years=3, days=-1)).isoformat(),
}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def start_the_day(county, username: str):
    """Signs in (the first time) and opens the home page: the one address anyone types."""
    page = county.as_(username)
    page.goto(county.url("/"))
    expect(page.locator(".ph-card h2").first).to_contain_text("您好")
    return page


def work_on(county, username: str, asset, title: str, *, shot: str):
    """From home: 我的待办 → 办理 if the task is already the user's, else 待认领 → 认领 (which opens the form)."""
    page = start_the_day(county, username)
    main(page).locator(".ph-tile", has_text="我的待办").click()
    wait_for_text(page, ".ph-page .ph-card h2", "我的待办", exact=True)
    row = main(page).locator("tbody tr", has_text=asset.code).filter(has_text=title)
    if row.count():
        county.shot(page, f"{shot}-inbox")
        row.get_by_role("link", name="办理").click()
    else:
        main(page).get_by_role("link", name="待认领", exact=True).first.click()
        wait_for_text(page, ".ph-page .ph-card h2", "待认领", exact=True)
        row = main(page).locator("tbody tr", has_text=asset.code).filter(has_text=title)
        expect(row).to_have_count(1)
        county.shot(page, f"{shot}-queue")
        row.get_by_role("button", name="认领").click()
    expect_form(page, title)
    county.shot(page, f"{shot}-form")
    return page


def test_a_day_of_work_for_each_role(county, clock):
    building = idle_asset(category__code="building")  # 出租 of a building: the department, then finance, approve
    unit = building.holding_unit.name
    clerk, head, reviewer = CLERK_OF[unit], HEAD_OF[unit], reviewer_for(building)

    # The clerk finds the asset in the ledger by its code and reports it, with the evidence the rule asks for.
    page = start_the_day(county, clerk)
    main(page).locator(".ph-tile", has_text="资产台账").click()
    main(page).get_by_label("搜索").fill(building.code)
    main(page).get_by_role("button", name="查询").click()
    main(page).locator("tbody tr", has_text=building.code).get_by_role("link", name=building.code).click()
    main(page).get_by_role("link", name="申报盘活").click()
    expect_form(page, f"申报盘活：{building.code} {building.name}")
    statement = f"{building.name}自{building.idle_since:%Y年%m月}起停用，本单位无后续使用计划。"
    page.get_by_label("认定类型").select_option(label="闲置")
    page.get_by_label("申报说明").fill(statement)
    page.get_by_label("停用说明", exact=True).set_input_files(pdf("停用说明.pdf"))
    page.get_by_label("会议纪要", exact=True).set_input_files(pdf("党组会议纪要.pdf"))
    submit(page, "提交申报", "已申报，待本单位负责人签发")
    case_pk = int(re.search(r"/cases/(\d+)/", page.url).group(1))
    county.shot(page, "clerk-reported")

    # The unit head finds it waiting for him and sends it back to the clerk with a reason.
    page = work_on(county, head, building, "单位负责人签发", shot="head")
    page.get_by_label("退回补正").check()
    page.get_by_label("签发意见").fill("请补充停用原因和现状照片说明。")
    submit(page, "签发报送", "已退回经办人补正申报")

    # The clerk's 补正申报 opens as it was, the head's reason on top: she adds a sentence, nothing retyped.
    page = work_on(county, clerk, building, "补正申报", shot="clerk-revise")
    expect(page.locator("#returned")).to_contain_text("请补充停用原因和现状照片说明。")
    expect(page.get_by_label("申报说明")).to_have_value(statement)
    page.get_by_label("申报说明").fill(statement + "因原业务整合搬迁，房屋现状完好。")
    submit(page, "提交补正", "申报已补正，待本单位负责人签发")

    page = work_on(county, head, building, "单位负责人签发", shot="head-again")
    page.get_by_label("签发报送", exact=True).check()
    page.get_by_label("签发意见").fill("情况属实，同意申报。")
    submit(page, "签发报送", "已签发")

    # The reviewer sees the evidence on the form itself before he verifies.
    page = work_on(county, reviewer, building, "主管部门核查认定", shot="reviewer-verify")
    dossier = page.locator("#dossier")
    expect(dossier).to_contain_text("停用说明.pdf")
    expect(dossier).to_contain_text("党组会议纪要.pdf")
    page.get_by_label("认定属实").check()
    page.get_by_label("意见", exact=True).fill("经现场核查，情况属实。")
    page.get_by_label("核查记录").set_input_files(pdf("现场核查记录.pdf"))
    submit(page, "提交", "核查认定意见已提交")
    expect_state(page, "已认定，待拟定方案")

    # After the 调剂 window, the clerk proposes a lease; the reviewer sends it back; it comes back prefilled.
    window_closes(county, clock)
    page = work_on(county, clerk, building, "拟定处置方案", shot="clerk-plan")
    summary = "整体公开招租，引入经营主体，租期3年。"
    page.get_by_label("盘活方式").select_option(label="出租出借")
    page.get_by_label("处置方案").fill(summary)
    page.get_by_label("未选调剂的理由").fill("公示期内无单位申请调剂。")
    page.get_by_label("会议纪要（集体决策）").set_input_files(pdf("处置方案集体决策会议纪要.pdf"))
    page.get_by_label("招租方式（出租出借）").select_option(label="公开招租")
    for label, value in LEASE_PLAN_TERMS.items():
        page.get_by_label(label, exact=True).fill(value)
    submit(page, "提交处置方案", "处置方案已提交审核")

    page = work_on(county, reviewer, building, "主管部门审核方案", shot="reviewer-review")
    expect(page.locator("#dossier")).to_contain_text("处置方案集体决策会议纪要.pdf")
    page.get_by_label("退回修改").check()
    page.get_by_label("意见", exact=True).fill("请写明招租底价的确定依据。")
    submit(page, "提交", "意见已提交")

    page = work_on(county, clerk, building, "拟定处置方案", shot="clerk-plan-again")
    expect(page.locator("#returned")).to_contain_text("请写明招租底价的确定依据。")
    expect(page.get_by_label("处置方案")).to_have_value(summary)
    page.get_by_label("处置方案").fill(summary + "底价参照周边同类房屋租金确定。")
    submit(page, "提交处置方案", "处置方案已提交审核")

    page = work_on(county, reviewer, building, "主管部门审核方案", shot="reviewer-review-again")
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("意见", exact=True).fill("同意公开招租。")
    submit(page, "提交", "意见已提交")

    # Finance sees the department's opinion on its own form.
    page = work_on(county, FINANCE, building, "财政审批", shot="finance-approve")
    expect(page.locator("#dossier")).to_contain_text("同意公开招租。")
    page.get_by_label("同意", exact=True).check()
    page.get_by_label("意见", exact=True).fill("同意，租金收入上缴国库。")
    submit(page, "提交", "意见已提交")
    expect_state(page, "方案已批准")

    # The clerk carries it out in one step.
    page = work_on(county, clerk, building, "执行处置", shot="clerk-execute")
    execute_lease(page)
    submit(page, "登记执行结果", "执行结果已登记")

    # Finance confirms what the statement beside the box says, then closes.
    page = work_on(county, FINANCE, building, "财政确认收入上缴", shot="finance-remit")
    confirm = page.get_by_label(re.compile("^本人确认"))
    expect(confirm).to_have_count(1)
    label = main(page).locator("label", has_text="本人确认")
    expect(label).to_contain_text("50,000.00 元")
    expect(label).to_contain_text("川财缴2026-00123")
    confirm.check()
    submit(page, "确认已上缴国库", "已确认收入上缴")
    page = work_on(county, FINANCE, building, "销号", shot="finance-close")
    page.get_by_label("确认").check()
    submit(page, "销号", "已销号")
    expect_state(page, "已销号")

    # The department head sees his department's work: its open tasks on his home page and the team list, and the
    # ledger in his reviewers' scope, where the closed case's asset is.
    page = start_the_day(county, reviewer.replace("_sh", "_fzr"))
    expect(page.locator("#team")).to_contain_text("在办任务")
    county.shot(page, "dept-head-home")
    page.locator("#team").get_by_role("link", name="查看全部、筛选").click()
    wait_for_text(page, ".ph-page .ph-card h2", "在办")
    county.shot(page, "dept-head-team")
    page.goto(county.url("/"))
    main(page).locator(".ph-tile", has_text="资产台账").click()
    main(page).get_by_label("搜索").fill(building.code)
    main(page).get_by_role("button", name="查询").click()
    expect(main(page).locator("tbody tr", has_text=building.code)).to_have_count(1)
    county.shot(page, "dept-head-ledger")

    case = DisposalCase.objects.get(pk=case_pk)
    assert case.state == CaseState.CLOSED
    assert county.problems == []


def execute_lease(page) -> None:
    starts = today()
    fields = {
        "底价（年租金，元）": "48000",
        "公开招租结果": "公开招租，3家竞租，茂县羌韵餐饮有限公司以最高价中选。",
        "承租方": "茂县羌韵餐饮有限公司",
        "租期起": starts.isoformat(),
        "租期止": (starts + relativedelta(years=3, days=-1)).isoformat(),
        "年租金（元）": "52000",
        "合同编号": "MXZL-2026-018",
        "实收金额（元）": "52000",
        "费用（元）": "2000",
        "上缴国库金额（元）": "50000",
        "缴款凭证号": "川财缴2026-00123",
    }
    page.get_by_label("说明", exact=True).fill("已委托县公共资源交易中心公开招租。")
    for label, value in fields.items():
        page.get_by_label(label, exact=True).and_(page.locator(":not([type=file])")).fill(value)
    for label, name in {"租赁合同（附件）": "租赁合同.pdf", "缴款凭证": "缴款凭证.pdf"}.items():
        page.get_by_label(label, exact=True).and_(page.locator("[type=file]")).set_input_files(pdf(name))
