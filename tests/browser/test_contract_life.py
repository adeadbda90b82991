"""A lease's contract life after 销号, in chromium (issue 14, done when): an idle building leased for three years with
quarterly rent is taken to 销号 by the people who do it, then lived through on its contract page, each step by its
real user: the schedule, a late quarter raising the dashboard's 租金欠缴, the clerk's payment and finance's
confirmation clearing it, the rent ledger's month, a payment larger than owed refused, and an early termination that
brings the building back to its unit idle again (再度闲置). Each page is photographed at a desktop's width and at a
phone's 390 px, and none is wider than the phone (artifacts/screenshots/<test>/)."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from assets.models import Asset, AssetAttachment, AssetStatus, UsageStatus
from contracts.arrears import grace_ends_on
from contracts.models import Contract, ContractState, Payment
from core.formatting import cn_date
from workflows.models import Policy

from ..clock import at, term_ends
from ..demo.test_demo_cases import own_pki  # noqa: F401  (a fixture)
from .test_methods import photographed
from .test_paths import (
    CLERK_OF,
    FINANCE,
    dept_approves,
    everyone_signs_in_again,
    finance_approves,
    finance_remit_and_close,
    idle_asset,
    main,
    pdf,
    plan,
    record_result,
    report,
    reviewer_for,
    sign_off_and_verify,
    submit,
    today,
    wait_for_text,
    window_closes,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SUPERVISOR = "xietiao_jd"  # 协调机制办: reads the county's dashboard
LESSEE = "茂县羌韵餐饮有限公司"
CONTRACT_NO = "MXZL-2026-031"
QUARTER = Decimal("13000")  # 52,000 元 a year, paid by the quarter


def leased_by_the_quarter(county, clock, building: Asset) -> int:
    """The building from 申报 to 销号 as a 3-year lease at 52,000 元 a year paid 按季: the first quarter's rent is
    received at execution and its remittance confirmed by finance. Returns the case's pk."""
    case_pk = report(county, building)
    sign_off_and_verify(county, building, case_pk)
    window_closes(county, clock)
    starts, ends = today(), term_ends(today(), 3)
    plan(
        county, building, case_pk, "出租出借", "整体公开招租，引入经营主体，租期3年，租金按季支付。",
        justification="该房屋面积大、位置偏，公示期内无单位有使用需求，出租可增加收入。", minutes=True,
        terms={"底价（年租金，元）（出租出借）": "48000", "租期起（出租出借）": starts.isoformat(),
               "租期止（出租出借）": ends.isoformat()},
        picks={"招租方式（出租出借）": "公开招租"},
    )  # fmt: skip
    dept_approves(county, building, case_pk, "同意公开招租。", then="方案审批中")
    finance_approves(county, case_pk, "同意公开招租，租金收入按季上缴国库。")
    record_result(
        county,
        building,
        case_pk,
        {
            "底价（年租金，元）": "48000",
            "公开招租结果": f"公开招租，3家竞租，{LESSEE}以最高价中选。",
            "承租方": LESSEE,
            "租期起": starts.isoformat(),
            "租期止": ends.isoformat(),
            "年租金（元）": "52000",
            "保证金（元）": "10000",
            "合同编号": CONTRACT_NO,
            "实收金额（元）": "13000",
            "费用（元）": "0",
            "上缴国库金额（元）": "13000",
            "缴款凭证号": "川财缴2026-00131",
        },
        {"租赁合同（附件）": "租赁合同.pdf", "缴款凭证": "缴款凭证.pdf"},
        note="已委托县公共资源交易中心公开招租，首季租金已收取。",
        picks={"付款周期": "按季"},
    )
    finance_remit_and_close(county, case_pk, recorded=LESSEE)
    return case_pk


def contract_page(county, username: str, contract_pk: int):
    page = county.as_(username)
    page.goto(county.url(f"/contracts/{contract_pk}/"))
    wait_for_text(page, ".ph-page .ph-card h2", f"合同 {CONTRACT_NO}")
    return page


def schedule_rows(page):
    return page.locator("#schedule tbody tr")


def test_a_quarterly_lease_falls_into_arrears_is_paid_and_ends_early_with_the_building_idle_again(county, clock):
    building = idle_asset(category__code="building")
    holder = building.holding_unit
    clerk = CLERK_OF[holder.name]
    problems: list[str] = []

    case_pk = leased_by_the_quarter(county, clock, building)

    # The closed case links its contract; the contract page shows the terms and twelve quarters, the first paid by the
    # execution's receipt, the rest owed.
    page = county.as_(clerk)
    page.goto(county.url(f"/cases/{case_pk}/"))
    page.locator("#contracts").get_by_role("link", name=CONTRACT_NO).click()
    wait_for_text(page, ".ph-page .ph-card h2", f"合同 {CONTRACT_NO}")
    contract = Contract.objects.get(case_id=case_pk)
    expect(page.locator("#terms")).to_contain_text("按季")
    expect(page.locator("#terms")).to_contain_text(LESSEE)
    rows = schedule_rows(page)
    expect(rows).to_have_count(12)
    expect(rows.nth(0)).to_contain_text("已付清")
    for n in range(1, 12):
        expect(rows.nth(n)).to_contain_text("未到期")
    expect(rows.nth(0)).to_contain_text("13,000.00")
    expect(page.locator("#payments tbody")).to_contain_text("川财缴2026-00131")
    problems += photographed(county, page, clerk, "clerk-contract-schedule", phone=False)

    # The second quarter falls due and its grace (working days, on the county's calendar) runs out unpaid.
    second = contract.installments.get(sequence=2)
    grace_end = grace_ends_on(second.due_on, Policy.current().arrears_grace_working_days)
    late_day = grace_end + datetime.timedelta(days=1)
    clock.move_to(at(late_day))
    everyone_signs_in_again(county)

    # The dashboard's 租金欠缴 lists the contract, linked, for the county's supervisor.
    page = county.as_(SUPERVISOR)
    page.goto(county.url("/supervision/dashboard/#alert-rent_arrears"))
    alert = page.locator("#alert-rent_arrears")
    row = alert.locator("tbody tr", has_text=building.code)
    expect(row).to_contain_text(f"{LESSEE}欠缴1期")
    expect(row.get_by_role("link", name=f"合同 {CONTRACT_NO}")).to_be_visible()
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length > 3")
    problems += photographed(county, page, SUPERVISOR, "supervisor-rent-arrears", phone=False)

    # The contract page marks the quarter 欠缴; the clerk records its payment with the receipt and its scan.
    page = contract_page(county, clerk, contract.pk)
    expect(schedule_rows(page).nth(1).locator(".ph-tag")).to_have_text("欠缴")
    expect(schedule_rows(page).nth(2).locator(".ph-tag")).to_have_text("未到期")
    page.locator("#payment-form summary").click()
    form = page.locator("#payment-form")
    form.get_by_label("应收期次").select_option(label=f"第2期（{cn_date(second.due_on)}应付，尚欠13,000.00元）")
    form.get_by_label("收款金额（元）").fill("13000")
    form.get_by_label("收款日期").fill(late_day.isoformat())
    form.get_by_label("收款凭证号").fill("川财缴2027-00218")
    form.get_by_label("收款凭证（附件）").set_input_files(pdf("第2期租金缴款凭证.pdf"))
    problems += photographed(county, page, clerk, "clerk-payment-form", phone=False)
    submit(page, "登记收款", "已登记第2期收款 13,000.00 元，待财政确认上缴。")
    expect(schedule_rows(page).nth(1)).to_contain_text("已付清")
    expect(page.locator("#payments tbody tr", has_text="川财缴2027-00218")).to_contain_text("待财政确认")

    # Finance confirms its remittance (the clerk who recorded it could not); the alert clears.
    page = contract_page(county, FINANCE, contract.pk)
    payment_row = page.locator("#payments tbody tr", has_text="川财缴2027-00218")
    payment_row.get_by_label("非税收入缴款书号").fill("5101272700218")
    problems += photographed(county, page, FINANCE, "finance-confirm-payment", phone=False)
    submit(page, "确认上缴", "已确认收款 川财缴2027-00218 上缴国库。")
    expect(page.locator("#payments tbody tr", has_text="川财缴2027-00218")).to_contain_text("缴款书 5101272700218")
    page = county.as_(SUPERVISOR)
    page.reload()  # still at the dashboard's alert: going to the same address would only scroll to its anchor
    wait_for_text(page, "#alert-rent_arrears h3", "租金欠缴")
    expect(page.locator("#alert-rent_arrears")).not_to_contain_text(building.code)

    # The rent ledger, for the building's unit: the payment month's 实收 and 上缴, the contract's own row.
    page = county.as_(FINANCE)
    # By the unit's address: the 持有单位 filter shows only where contracts of several units are visible, and whether
    # the demo county's cases exist depends on the signing certificates earlier tests made.
    page.goto(county.url(f"/contracts/ledger/?unit={holder.pk}"))
    wait_for_text(page, "#by-contract tbody", CONTRACT_NO)
    month = page.locator("#ledger-months tbody tr", has_text=f"{late_day.year}年{late_day.month}月")
    received = Payment.objects.filter(
        installment__contract__holding_unit=holder, paid_on__year=late_day.year, paid_on__month=late_day.month
    )
    assert list(received.values_list("receipt_no", flat=True)) == ["川财缴2027-00218"]  # the unit's one that month
    expect(month.locator("td").nth(2)).to_have_text("13,000.00 元")  # 实收
    expect(month.locator("td").nth(3)).to_have_text("13,000.00 元")  # 上缴 (confirmed that month)
    expect(page.locator("#by-contract tbody tr", has_text=CONTRACT_NO).locator("td").last).to_have_text("0.00 元")
    problems += photographed(county, page, FINANCE, "finance-rent-ledger", phone=False)

    # A payment larger than the quarter owes: a clear refusal beside the amount, nothing saved (not even the scan).
    attachments, payments = AssetAttachment.objects.filter(asset=building).count(), Payment.objects.count()
    page = contract_page(county, clerk, contract.pk)
    third = contract.installments.get(sequence=3)
    page.locator("#payment-form summary").click()
    form = page.locator("#payment-form")
    form.get_by_label("应收期次").select_option(label=f"第3期（{cn_date(third.due_on)}应付，尚欠13,000.00元）")
    form.get_by_label("收款金额（元）").fill("20000")
    form.get_by_label("收款日期").fill(late_day.isoformat())
    form.get_by_label("收款凭证号").fill("川财缴2027-00219")
    form.get_by_label("收款凭证（附件）").set_input_files(pdf("第3期租金缴款凭证.pdf"))
    form.get_by_role("button", name="登记收款").click()
    refusal = "收款金额20,000.00元超过第3期尚欠的13,000.00元，请按该期欠缴金额登记，多付部分登记到下一期。"
    wait_for_text(page, "#payment-form .ph-errorlist", refusal)
    expect(form.get_by_label("收款金额（元）")).to_have_value("20000")  # what was typed stays, to correct
    county.shot(page, "clerk-payment-refused-desktop")
    assert (AssetAttachment.objects.filter(asset=building).count(), Payment.objects.count()) == (attachments, payments)

    # 提前终止: the lessee gives up the building; the clerk records the end, the deposit returned, and the building
    # back on the unit's ledger idle again from that day. What would fall due from then on is cancelled.
    page = contract_page(county, clerk, contract.pk)
    page.locator("#terminate-form summary").click()
    form = page.locator("#terminate-form")
    form.get_by_label("终止日期（收回交接日期）").fill(late_day.isoformat())
    form.get_by_label("终止原因").fill("承租方经营困难，双方协商一致提前解除租赁合同。")
    form.get_by_label("结算金额（元）").fill("0")
    form.get_by_label("保证金处理").select_option(label="退还")
    form.get_by_label("资产状况").fill("房屋主体完好，门窗及水电设施正常。")
    form.get_by_label("再度闲置").check()
    form.get_by_label("闲置原因").fill("承租方退租，暂无新的使用需求，拟重新招租。")
    form.get_by_label("交接材料（附件）").set_input_files(pdf("收回交接清单.pdf"))
    problems += photographed(county, page, clerk, "clerk-terminate-form", phone=False)
    submit(page, "确认终止并收回", f"合同 {CONTRACT_NO} 已提前终止，资产已回到本单位台账。")
    expect(main(page).locator(".ph-card h2 .ph-tag").first).to_have_text("已终止")
    expect(page.locator("#end")).to_contain_text("再度闲置")
    cancelled = schedule_rows(page).filter(has_text="提前终止，已取消")
    expect(cancelled).to_have_count(10)  # quarters 3 to 12
    expect(
        page.locator("#documents tbody tr", has_text="提前终止备案表").get_by_role("link", name="下载")
    ).to_be_visible()
    expect(page.locator("#payment-form")).to_have_count(0)  # nothing more to collect
    problems += photographed(county, page, clerk, "clerk-contract-terminated", phone=False)

    # The building's file: in use by its unit no longer, idle again from the handover day.
    page.goto(county.url(f"/register/{building.pk}/"))
    expect(main(page).locator(".ph-card h2 .ph-tag").first).to_have_text("在用")
    expect(main(page)).to_contain_text(f"{cn_date(late_day)}（已闲置 0 个月）")
    problems += photographed(county, page, clerk, "clerk-asset-idle-again", phone=False)

    contract.refresh_from_db()
    assert contract.state == ContractState.TERMINATED
    assert [(i.sequence, i.paid) for i in contract.installments.filter(paid__gt=0)] == [(1, QUARTER), (2, QUARTER)]
    asset = Asset.objects.get(pk=building.pk)
    assert (asset.status, asset.usage_status, asset.idle_since) == (AssetStatus.IN_USE, UsageStatus.IDLE, late_day)
    assert problems == [], "\n".join(problems)
    assert county.problems == []


@pytest.mark.usefixtures("own_pki")  # before `county`: its demo cases are signed weeks back, with a PKI of their own
def test_the_demo_countys_lease_is_renewed_by_its_clerk_and_finance_into_a_second_version(county):
    """续签 of the demo county's closed lease (walked to 销号 by its own users): the unit's clerk asks for three more
    years at a stepped rent paid by the quarter, with the 集体决策 minutes; the lead department's reviewer, then
    finance where the routing rules ask (never the clerk), approve it; and version 2 runs on from the day after the
    first ends, with twelve quarters of its own."""
    contract = (
        Contract.objects.filter(method="lease", state=ContractState.ACTIVE, version=1)
        .select_related("holding_unit")
        .order_by("pk")
        .first()
    )
    assert contract is not None, "the demo county has no running lease (were its cases skipped?)"
    clerk = CLERK_OF[contract.holding_unit.name]
    starts, ends = (
        contract.ends_on + datetime.timedelta(days=1),
        term_ends(contract.ends_on + datetime.timedelta(days=1), 3),
    )
    problems: list[str] = []

    # The clerk asks for the renewal on the contract page.
    page = county.as_(clerk)
    page.goto(county.url(f"/contracts/{contract.pk}/"))
    wait_for_text(page, ".ph-page .ph-card h2", f"合同 {contract}")
    expect(page.locator("#renewal-decision")).to_have_count(0)  # who asks never approves
    page.locator("#renewal-form summary").click()
    form = page.locator("#renewal-form")
    form.get_by_label("续签期限止").fill(ends.isoformat())
    form.get_by_label("付款周期").select_option(label="按季")
    form.get_by_label("年金额（元）").fill("60000")
    form.get_by_label("年递增比例（%）").fill("3")
    form.get_by_label("续签合同编号").fill("MXZL-XQ-2026-001")
    form.get_by_label("续签理由").fill("承租方经营良好、按期缴租，经集体研究同意续租三年，租金按季支付。")
    form.get_by_label("集体决策会议纪要").set_input_files(pdf("续签集体决策会议纪要.pdf"))
    problems += photographed(county, page, clerk, "clerk-renewal-form", phone=False)
    submit(page, "提交续签申请", f"已提交合同 {contract} 的续签申请，待")
    expect(page.locator("#end")).to_contain_text("待主管部门审核")
    expect(page.locator("#renewal-decision")).to_have_count(0)
    renewal = contract.renewals.get()  # its route, from the routing rules at the request
    needs_finance = renewal.routing["needs_finance"]

    # The lead department's reviewer decides first, seeing the old terms beside the new.
    reviewer = reviewer_for(contract.asset)
    page = county.as_(reviewer)
    page.goto(county.url(f"/contracts/{contract.pk}/"))
    wait_for_text(page, "#end", "待主管部门审核")
    decision = page.locator("#renewal-decision")
    expect(decision).to_contain_text("至 " + cn_date(ends))
    decision.get_by_label("审核意见").fill("经核，承租方履约良好，同意续签。")
    problems += photographed(county, page, reviewer, "reviewer-renewal-review", phone=False)
    if needs_finance:
        submit(page, "审核同意，报财政审批", "已审核同意续签，待财政审批。")
        # Finance approves it there; the new version's page opens.
        page = county.as_(FINANCE)
        page.goto(county.url(f"/contracts/{contract.pk}/"))
        wait_for_text(page, "#end", "待财政审批")
        page.locator("#renewal-decision").get_by_label("审核意见").fill("同意续签，租金收入按季上缴国库。")
        problems += photographed(county, page, FINANCE, "finance-renewal-approve", phone=False)
    submit(page, "批准续签", "已批准续签，生成合同 MXZL-XQ-2026-001（第2版）及其收款计划。")
    heading = main(page).locator(".ph-card h2").first
    expect(heading).to_contain_text("第2版")
    expect(heading.locator(".ph-tag").first).to_have_text("履行中")
    expect(page.locator("#end")).to_contain_text(f"第1版 {contract}（已续签）")
    expect(page.locator("#terms")).to_contain_text(f"{cn_date(starts)} 至 {cn_date(ends)}")
    rows = schedule_rows(page)
    expect(rows).to_have_count(12)
    expect(rows.nth(0)).to_contain_text(cn_date(starts))
    expect(rows.nth(0)).to_contain_text("15,000.00 元")  # 60,000 元 a year by the quarter
    expect(rows.nth(4)).to_contain_text("15,450.00 元")  # the second year stepped by 3 %
    expect(page.locator("#documents tbody tr", has_text="续签备案表").get_by_role("link", name="下载")).to_be_visible()
    problems += photographed(county, page, FINANCE, "finance-contract-version-2", phone=False)

    renewed = Contract.objects.get(case=contract.case, version=2)
    contract.refresh_from_db()
    assert (contract.state, renewed.state, renewed.cycle, renewed.number) == (
        ContractState.RENEWED, ContractState.ACTIVE, "quarterly", "MXZL-XQ-2026-001",
    )  # fmt: skip
    assert (renewed.starts_on, renewed.ends_on, renewed.installments.count()) == (starts, ends, 12)
    assert problems == [], "\n".join(problems)
    assert county.problems == []
