"""盘活方式 as declarations (issue 13): every method declared has its document template, its evidence and a test that
takes it to 销号 through the URLs; the new methods run end to end as their real users, refuse what their conditions
refuse, and only the methods a category offers can be planned."""

import datetime
import html
import importlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from assets.models import Asset, AssetStatus, AttachmentKind, Direction, Organization, OrganizationKind, Role
from audit.models import AuditEvent
from core.formatting import cn_date
from documents.models import DocumentStatus
from documents.signing import verify_pdf
from workflows import methods
from workflows.flows import DisposalFlow
from workflows.models import CaseState, MethodAvailability

from ..cases import issue_all, two_years_ago
from ..clock import TODAY, years_after
from ..documents.test_issue import pdfsig_reports, read, text_of
from ..factories import UserFactory
from ..ledgers import BUILDING, import_ledger, ledger_row, upload_evidence
from .test_flow_urls import claim, do, errors, fresh, open_task, pdf, url, verified_via_urls

pytestmark = pytest.mark.django_db

# Each method's proof: the test that takes a case of it to 销号 through the URLs, as its real users.
POLICY_TEXTS = Path(settings.BASE_DIR) / "docs" / "policy"
FLOW_URLS, METHODS = "tests.workflows.test_flow_urls", "tests.workflows.test_methods"
PROVEN_BY = {
    "reallocate": (FLOW_URLS, "test_reallocation_end_to_end_through_the_inboxes"),
    "lease": (FLOW_URLS, "test_a_lease_goes_through_finance_and_its_rent_is_remitted_before_closing"),
    "auction": (FLOW_URLS, "test_an_auction_bid_below_the_floor_goes_back_for_approval_then_closes"),
    "scrap": (FLOW_URLS, "test_scrapping_an_old_computer_closes_after_the_residual_value_is_remitted"),
    "free_transfer": (METHODS, "test_a_free_transfer_to_the_town_moves_the_building_to_its_ledger"),
    "entrusted_ops": (METHODS, "test_an_entrusted_operation_runs_to_closing_and_leaves_it_revitalized"),
    "conversion": (METHODS, "test_a_conversion_to_a_canteen_returns_the_building_to_use"),
    # The further methods share one test, driven by their scenario (SCENARIOS, below).
    **dict.fromkeys(
        ("equity_invest", "exchange", "land_recovery", "extend_start", "temporary_use", "concession", "open_sharing"),
        (METHODS, "test_each_further_method_runs_to_closing_as_its_users_and_refuses_what_its_rules_refuse"),
    ),
}


@pytest.mark.parametrize("method", methods.all_methods(), ids=lambda m: m.code)
def test_every_declared_method_has_its_template_its_evidence_and_its_test(method):
    template = Path(settings.BASE_DIR) / "documents" / "templates" / "documents" / f"{method.document}.html"
    assert template.is_file(), f"{method.code}: no template {template}"
    assert method.evidence, f"{method.code}: no evidence declared"
    assert method.code in PROVEN_BY, f"{method.code}: no end-to-end test named in PROVEN_BY"
    module, name = PROVEN_BY[method.code]
    assert callable(getattr(importlib.import_module(module), name, None)), PROVEN_BY[method.code]
    if name.startswith("test_each_further_method"):
        assert method.code in SCENARIOS, f"{method.code}: no scenario"
    assert method.sentence and method.hint and method.seed in {p.name[:3] for p in POLICY_TEXTS.glob("*.txt")}
    text = next(POLICY_TEXTS.glob(f"{method.seed}_*.txt")).read_text()
    for part in method.sentence.split("；"):  # the policy's own words (a declaration may join two of its sentences)
        assert _flat(part).rstrip("。；，") in _flat(text), f"{method.code}: {part} is not the policy's words"


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_registry_names_no_method_twice_and_every_term_is_a_field():
    codes = [m.code for m in methods.all_methods()]
    assert len(codes) == len(set(codes)) and codes[0] == "reallocate"  # 调剂优先: first in every list
    with pytest.raises(ValueError):
        methods.base.register(methods.get("lease"))


@pytest.mark.parametrize("method", methods.all_methods(), ids=lambda m: m.code)
def test_every_declared_method_has_a_direction_the_ledger_holds_under_its_name(method):
    # The Excel ledger's 盘活方向 (issue 13 §3): a method declared without its Direction fails here.
    direction = Direction(method.direction)
    assert method.label.startswith(direction.label)  # 拍卖 for 拍卖（公开转让）; the others by the same name


def test_no_two_methods_carry_out_the_same_direction():
    directions = [m.direction for m in methods.all_methods()]
    assert len(directions) == len(set(directions))


def test_the_plan_opens_with_the_method_of_the_ledgers_direction(client, alice, henry, hugo):
    [canteen] = import_ledger(alice, ledger_row(
        资产编号="MX-YZ-FW-002", 资产名称="原学生食堂", 资产类别=BUILDING, 资产子类="经营性用房", 计量单位="栋",
        **{"面积（㎡）": 640}, 使用状况="闲置", 停用日期=two_years_ago(), 闲置原因="新食堂投用后停用",
        盘活方向="委托运营", 盘活思路="委托专业机构运营",
    ))  # fmt: skip
    upload_evidence(alice, canteen, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    case = verified_via_urls(client, canteen, alice, henry, hugo, window_closed=True)

    page = plan_page(client, alice, case)

    assert '<option value="entrusted_ops" selected>委托运营</option>' in page
    assert "按台账中的盘活方向“委托运营”预选" in page


def test_a_plan_of_an_asset_without_a_direction_opens_with_no_method_chosen(client, building, alice, henry, hugo):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)

    page = plan_page(client, alice, case)

    assert '<option value="" selected>请选择</option>' in page and "预选" not in page


def approve_plan(client, case, reviewer, finance):
    """The department approves; finance too, where the route sends the plan on."""
    do(client, reviewer, case, DisposalFlow.dept_review, {"decision": "approve", "opinion": "同意"})
    if fresh(case).state == CaseState.PLAN_SUBMITTED:
        do(client, finance, case, DisposalFlow.finance_approve, {"decision": "approve", "opinion": "同意"})
    assert fresh(case).state == CaseState.PLAN_APPROVED


def plan_page(client, user, case) -> str:
    task = claim(client, user, case, DisposalFlow.plan)
    return client.get(url(DisposalFlow.plan, task)).content.decode()


def printed(document) -> str:
    """The issued PDF's text, without the layout's spaces (titles are letter-spaced)."""
    return re.sub(r"\s+", "", text_of(document))


def assert_signed(document, tmp_path, *organizations):
    data = read(document)
    assert document.status == DocumentStatus.ISSUED
    assert [s["organization"] for s in verify_pdf(data).signatures] == list(organizations)
    reports = pdfsig_reports(data, tmp_path)
    assert len(reports) == len(organizations)
    assert all("Signature is Valid." in r and "Certificate is Trusted." in r for r in reports)


# -- 无偿划转 -------------------------------------------------------------------------------------------------------


def test_a_free_transfer_to_the_town_moves_the_building_to_its_ledger(
    client, building, alice, henry, hugo, fiona, fred, bob, town, tmp_path
):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    page = plan_page(client, alice, case)
    assert "无偿划转" in page and "划入单位" in page and "方案直接指定划入单位" in page  # the choice and its hint
    # 调剂优先: the reason not to 调剂 is asked of the methods that yield to the board, as declared (not 功能转型).
    assert "已有单位申请调剂而选择出租出借、拍卖（公开转让）、无偿划转、委托运营、作价入股、置换时必须填写" in page
    plan = {"method": "free_transfer", "summary": "按县政府统筹安排移交凤仪镇", "named_unit": town.pk,
            "transfer_basis": "茂府函〔2026〕12号", "justification": "县政府统筹划转",
            "minutes": pdf("会议纪要.pdf")}  # fmt: skip
    do(client, alice, case, DisposalFlow.plan, plan, claim_first=False)
    assert fresh(case).receiving_unit_id == town.pk and fresh(case).plan_term("transfer_basis") == "茂府函〔2026〕12号"
    approve_plan(client, case, hugo, fiona)

    task = claim(client, alice, case, DisposalFlow.execute)
    form = client.get(url(DisposalFlow.execute, task)).content.decode()
    assert "茂府函〔2026〕12号" in form and "交接清单" in form  # opens with the approved basis
    handover = {"transfer_basis": "茂府函〔2026〕12号", "handover_on": TODAY.isoformat(),
                "handover_list": "周转房1栋及钥匙、图纸", "approval_file": pdf("批复.pdf")}  # fmt: skip
    response = client.post(url(DisposalFlow.execute, task), handover)
    assert response.status_code == 302, errors(response)
    assert fresh(case).state == CaseState.EXECUTING
    receipt = client.get(url(DisposalFlow.confirm_receipt, claim(client, bob, case, DisposalFlow.confirm_receipt)))
    text = receipt.content.decode()
    assert "本人确认：本单位已接收原教师周转房（交接清单：周转房1栋及钥匙、图纸）。" in text  # what the town takes over
    assert "无偿划转（划入单位：茂县凤仪镇人民政府）" in text
    do(client, bob, case, DisposalFlow.confirm_receipt, {"confirm": "on", "note": "已接收"}, claim_first=False)
    assert fresh(case).state == CaseState.EXECUTED  # it earns nothing: straight to 销号
    do(client, fiona, case, DisposalFlow.close, {"confirm": "on", "note": "同意销号"})

    asset = Asset.objects.get(pk=building.pk)
    assert (asset.holding_unit_id, asset.status) == (town.pk, AssetStatus.IN_USE)
    notice = next(d for d in issue_all(fresh(case)) if d.kind == "allocation_notice")
    assert_signed(notice, tmp_path, "茂县第一中学", "茂县凤仪镇人民政府")
    text = printed(notice)
    assert "资产划转通知书" in text and "茂府函〔2026〕12号" in text and "划入单位" in text


def test_a_free_transfer_names_its_unit_and_never_the_holder_itself(client, building, alice, henry, hugo, school):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan_page(client, alice, case)
    task = open_task(case, DisposalFlow.plan)
    base = {"method": "free_transfer", "summary": "划转", "transfer_basis": "茂府函〔2026〕12号"}
    response = client.post(url(DisposalFlow.plan, task), base)
    assert response.status_code == 422 and "无偿划转须指定划入单位" in response.content.decode()
    response = client.post(url(DisposalFlow.plan, task), {**base, "named_unit": school.pk})
    assert response.status_code == 422  # the holder is not offered
    response = client.post(url(DisposalFlow.plan, task), {**base, "transfer_basis": "", "named_unit": _other(school)})
    assert response.status_code == 422 and "划转依据" in response.content.decode()
    assert fresh(case).state == CaseState.VERIFIED and not fresh(case).method  # nothing half-written


def _other(school) -> int:
    return Organization.objects.exclude(pk=school.pk).order_by("pk").values_list("pk", flat=True).first()


# -- 委托运营 -------------------------------------------------------------------------------------------------------

OPERATION = {
    "operator": "茂县羌韵文旅运营有限公司", "selection": "公开遴选", "ops_starts_on": TODAY.isoformat(),
    "ops_ends_on": years_after(TODAY, 5).isoformat(), "annual_fee": "86000", "revenue_share": "",
    "contract_no": "茂一中运〔2026〕1号", "received": "86000", "fees": "0", "remitted": "86000",
    "receipt_no": "川财缴2026-00777",
}  # fmt: skip


def operation_approved(client, building, alice, henry, hugo, fiona, **plan):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan_page(client, alice, case)
    data = {"method": "entrusted_ops", "summary": "委托专业机构运营五年", "selection": "公开遴选",
            "ops_starts_on": OPERATION["ops_starts_on"], "ops_ends_on": OPERATION["ops_ends_on"],
            "minutes": pdf("会议纪要.pdf"), **plan}  # fmt: skip
    do(client, alice, case, DisposalFlow.plan, data, claim_first=False)
    approve_plan(client, case, hugo, fiona)
    return fresh(case)


def test_an_entrusted_operation_runs_to_closing_and_leaves_it_revitalized(
    client, building, alice, henry, hugo, fiona, fred, tmp_path
):
    case = operation_approved(client, building, alice, henry, hugo, fiona)
    do(client, alice, case, DisposalFlow.execute, {**OPERATION, "contract_file": pdf("合同.pdf")})
    case = fresh(case)
    assert case.state == CaseState.EXECUTED and case.amount_due == Decimal("86000")
    assert case.execution.value("ops_ends_on") == years_after(TODAY, 5)  # typed, from the record's details
    assert case.execution.value("annual_fee") == Decimal("86000.00")
    # 收支两条线: finance confirms the fee reached the treasury before 销号 (the close then waits in his inbox).
    do(client, fred, case, DisposalFlow.confirm_remittance, {"confirm": "on"})
    do(client, fred, case, DisposalFlow.close, {"confirm": "on", "note": "同意销号"})
    asset = Asset.objects.get(pk=building.pk)
    assert (asset.holding_unit_id, asset.status) == (building.holding_unit_id, AssetStatus.REVITALIZED)
    filing = next(d for d in issue_all(fresh(case)) if d.kind == "operation_filing")
    assert_signed(filing, tmp_path, "茂县第一中学")
    text = printed(filing)
    assert "委托运营备案表" in text and "茂县羌韵文旅运营有限公司" in text and "86,000.00" in text


def test_an_entrusted_operation_lists_every_broken_rule_at_once_and_records_nothing(
    client, building, alice, henry, hugo, fiona
):
    case = operation_approved(client, building, alice, henry, hugo, fiona)
    task = claim(client, alice, case, DisposalFlow.execute)
    bad = {**OPERATION, "selection": "直接委托", "annual_fee": "", "received": "", "remitted": ""}
    response = client.post(url(DisposalFlow.execute, task), bad)
    text = response.content.decode()
    assert response.status_code == 422
    assert "至少一项" in text and "公开遴选" in text and "未采用公开方式的理由" in text
    assert fresh(case).state == CaseState.PLAN_APPROVED and fresh(case).execution_or_none() is None
    # A term the plan was approved with, changed at execution, goes back for approval.
    changed = {**OPERATION, "ops_ends_on": years_after(TODAY, 8).isoformat()}
    response = client.post(url(DisposalFlow.execute, task), changed)
    assert response.status_code == 302, errors(response)
    assert fresh(case).state == CaseState.PLAN_SUBMITTED and fresh(case).reapproval_reasons


def test_an_operation_without_public_selection_needs_the_plans_reason_which_the_approvers_read(
    client, building, alice, henry, hugo, fiona, tmp_path
):
    # 公开 unless justified (《茂县闲置低效资产资源盘活利用工作实施方案》二(八)3): the plan says why, at the plan.
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    page = plan_page(client, alice, case)
    # The form asks each method's own questions only when it is chosen (static/panhuo/method-fields.js).
    assert re.search(r'<select name="selection"[^>]*data-for-methods="entrusted_ops"', page)
    assert re.search(r'name="procedure_reason"[^>]*data-for-methods="[^"]*entrusted_ops', page)
    task = open_task(case, DisposalFlow.plan)
    plan = {"method": "entrusted_ops", "summary": "原运营方续约", "selection": "续约",
            "ops_starts_on": OPERATION["ops_starts_on"], "ops_ends_on": OPERATION["ops_ends_on"],
            "minutes": pdf("会议纪要.pdf")}  # fmt: skip
    response = client.post(url(DisposalFlow.plan, task), plan)
    assert response.status_code == 422 and "须在方案中写明未采用公开方式的理由" in response.content.decode()
    assert fresh(case).state == CaseState.VERIFIED and not fresh(case).method  # nothing half-written
    response = client.post(url(DisposalFlow.plan, task), {**plan, "selection": "私下指定", "minutes": pdf("纪要.pdf")})
    assert response.status_code == 422 and "遴选方式须从列表中选择" in response.content.decode()

    reason = "原运营方经营良好，经集体决策续约三年"
    do(client, alice, case, DisposalFlow.plan, {**plan, "procedure_reason": reason, "minutes": pdf("纪要.pdf")})
    review = open_task(case, DisposalFlow.dept_review)
    client.force_login(hugo)
    page = client.get(url(DisposalFlow.dept_review, review)).content.decode()
    assert "未采用公开方式的理由" in page and reason in page and "未采用公开方式：续约" in page
    approve_plan(client, case, hugo, fiona)
    approval = next(d for d in issue_all(fresh(case)) if d.kind == "approval_form")
    assert reason in printed(approval)
    # Execution opens with the plan's reason and keeps the approved procedure.
    do(client, alice, case, DisposalFlow.execute, {**OPERATION, "selection": "续约", "procedure_reason": reason})
    assert fresh(case).state == CaseState.EXECUTED
    filing = next(d for d in issue_all(fresh(case)) if d.kind == "operation_filing")
    assert reason in printed(filing) and "续约" in printed(filing)


# -- 功能转型 -------------------------------------------------------------------------------------------------------


def test_a_conversion_to_a_canteen_returns_the_building_to_use(client, building, alice, henry, hugo, fiona, tmp_path):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan_page(client, alice, case)
    plan = {"method": "conversion", "summary": "一层改造为社区老年助餐点", "new_use": "社区老年助餐点",
            "minutes": pdf("会议纪要.pdf")}  # fmt: skip
    do(client, alice, case, DisposalFlow.plan, plan, claim_first=False)
    approve_plan(client, case, hugo, fiona)
    task = claim(client, alice, case, DisposalFlow.execute)
    works = {"new_use": "社区老年助餐点", "works": "改造餐厅和备餐间", "works_cost": "312500",
             "accepted_on": (TODAY.replace(day=1)).isoformat(), "acceptance_record": "工程质量合格，同意投入使用",
             "acceptance_file": pdf("验收记录.pdf")}  # fmt: skip
    future = {**works, "accepted_on": years_after(TODAY, 1).isoformat(), "acceptance_file": pdf("验收记录.pdf")}
    response = client.post(url(DisposalFlow.execute, task), future)
    assert response.status_code == 422 and "验收日期不能晚于今天" in response.content.decode()
    response = client.post(url(DisposalFlow.execute, task), works)
    assert response.status_code == 302, errors(response)
    assert fresh(case).state == CaseState.EXECUTED and fresh(case).amount_due is None  # earns nothing
    do(client, fiona, case, DisposalFlow.close, {"confirm": "on", "note": "同意销号"})
    asset = Asset.objects.get(pk=building.pk)
    assert (asset.status, asset.usage_status, asset.idle_since) == (AssetStatus.IN_USE, "normal", None)
    filing = next(d for d in issue_all(fresh(case)) if d.kind == "conversion_filing")
    assert_signed(filing, tmp_path, "茂县第一中学")
    assert "社区老年助餐点" in printed(filing) and "312,500.00" in printed(filing)
    assert "验收" in client.get(f"/cases/{case.pk}/").content.decode()


PUBLIC_WELFARE = "公益性资产（闲置校舍、养老机构、医疗场所、文体场馆）"


def test_a_school_converted_to_an_elderly_home_takes_its_new_sub_type_at_closing(client, alice, henry, fiona):
    """闲置校舍 → 养老机构 (seed 000 二(七)1): the record names the new sub-type from the category's own list; at 销号
    the ledger row takes it, with the sub-type's lead department (民政局) for any later case, and the trail says why."""
    school_building = imported(alice, "MX-YZ-XS-001", "原村小教学楼", PUBLIC_WELFARE, "闲置校舍", 1400000)
    reviewer = lead_reviewer(school_building)
    case = verified_via_urls(client, school_building, alice, henry, reviewer, window_closed=True)
    plan = {"method": "conversion", "summary": "改造为农村互助养老服务站", "new_use": "农村互助养老服务站",
            "minutes": pdf("会议纪要.pdf")}  # fmt: skip
    do(client, alice, case, DisposalFlow.plan, plan)
    approve_plan(client, case, reviewer, fiona)
    task = claim(client, alice, case, DisposalFlow.execute)
    page = client.get(url(DisposalFlow.execute, task)).content.decode()
    options = re.findall(r'<option value="([^"]*)"', page[page.index('name="new_subtype"') :].split("</select>")[0])
    assert options == ["", "养老机构", "医疗场所", "文体场馆"]  # the category's others; blank keeps it
    assert 'name="received"' not in page and "上缴国库" not in page  # a conversion receives nothing: no money asked
    works = {"new_use": "农村互助养老服务站", "works": "加装无障碍设施、改造休息室", "works_cost": "268000",
             "accepted_on": TODAY.replace(day=1).isoformat(), "acceptance_record": "验收合格"}  # fmt: skip
    for wrong in ("办公用房", "养老机构\u200b", "闲置校舍"):  # another category's, a look-alike, the one it has
        response = client.post(url(DisposalFlow.execute, task), {**works, "new_subtype": wrong,
                                                                  "acceptance_file": pdf("验收记录.pdf")})  # fmt: skip
        said = f"转型后子类须为“{PUBLIC_WELFARE}”的子类：养老机构、医疗场所、文体场馆。"
        assert response.status_code == 422 and said in html.unescape(response.content.decode()), wrong
        assert fresh(case).state == CaseState.PLAN_APPROVED
    works |= {"new_subtype": "养老机构", "acceptance_file": pdf("验收记录.pdf")}
    do(client, alice, case, DisposalFlow.execute, works, claim_first=False)
    do(client, fiona, case, DisposalFlow.close, {"confirm": "on"})
    asset = Asset.objects.select_related("subtype").get(pk=school_building.pk)
    assert (asset.status, asset.subtype.name) == (AssetStatus.IN_USE, "养老机构")
    assert (school_building.lead_department.name, asset.lead_department.name) == ("茂县教育局", "茂县民政局")
    change = AuditEvent.objects.filter(asset_id=asset.pk, action="asset_change").latest("pk")
    assert change.data["source"] == f"经事项#{case.pk}功能转型"
    assert set(change.data["changes"]) == {"subtype", "remarks"}  # the row's changes, each with its before and after
    assert asset.remarks.endswith(f"经事项#{case.pk}功能转型，现用途为农村互助养老服务站。")
    subtype = change.data["changes"]["subtype"]  # as the ledger names a sub-type: 类别 / 子类
    assert (subtype["from"], subtype["to"]) == (f"{PUBLIC_WELFARE} / 闲置校舍", f"{PUBLIC_WELFARE} / 养老机构")


def test_a_conversion_that_keeps_its_sub_type_records_its_new_use_and_nothing_else(
    client, building, alice, henry, hugo, fiona
):
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    plan = {"method": "conversion", "summary": "改造", "new_use": "社区老年助餐点", "minutes": pdf("会议纪要.pdf")}
    do(client, alice, case, DisposalFlow.plan, plan)
    approve_plan(client, case, hugo, fiona)
    works = {"new_use": "社区老年助餐点", "works": "改造餐厅", "works_cost": "1000", "new_subtype": "",
             "accepted_on": TODAY.replace(day=1).isoformat(), "acceptance_record": "合格",
             "acceptance_file": pdf("验收记录.pdf")}  # fmt: skip
    do(client, alice, case, DisposalFlow.execute, works)
    do(client, fiona, case, DisposalFlow.close, {"confirm": "on"})
    asset = Asset.objects.get(pk=building.pk)
    assert asset.subtype_id == building.subtype_id and asset.remarks.endswith("现用途为社区老年助餐点。")
    [change] = AuditEvent.objects.filter(asset_id=building.pk, action="asset_change")
    assert set(change.data["changes"]) == {"remarks"}


# -- which methods a category offers -----------------------------------------------------------------------------


def test_the_plan_offers_only_the_methods_of_the_assets_category_and_refuses_the_others(
    client, computer, alice, henry, rita
):
    case = verified_via_urls(client, computer, alice, henry, rita, window_closed=True)
    page = plan_page(client, alice, case)
    assert 'value="scrap"' in page and 'value="free_transfer"' in page
    assert 'value="conversion"' not in page and 'value="entrusted_ops"' not in page
    task = open_task(case, DisposalFlow.plan)
    response = client.post(url(DisposalFlow.plan, task), {"method": "conversion", "summary": "改造", "new_use": "x"})
    assert response.status_code == 422 and fresh(case).state == CaseState.VERIFIED


def test_the_county_turns_a_method_off_for_a_sub_type_as_data(client, building, alice, henry, hugo):
    MethodAvailability.objects.create(method="lease", category=building.category, subtype=building.subtype,
                                      enabled=False)  # fmt: skip
    MethodAvailability.objects.create(
        method="entrusted_ops", category=building.category, min_original_value=Decimal("5000000")
    )
    case = verified_via_urls(client, building, alice, henry, hugo, window_closed=True)
    page = plan_page(client, alice, case)
    assert 'value="lease"' not in page and 'value="entrusted_ops"' not in page and 'value="auction"' in page
    task = open_task(case, DisposalFlow.plan)
    response = client.post(url(DisposalFlow.plan, task), {"method": "lease", "summary": "出租"})
    assert response.status_code == 422 and "不适用" in response.content.decode()


def test_a_new_methods_step_is_refused_to_the_wrong_role_and_hidden_from_another_unit(
    client, building, alice, henry, hugo, fiona, bob
):
    case = operation_approved(client, building, alice, henry, hugo, fiona)
    task = open_task(case, DisposalFlow.execute)
    client.force_login(hugo)  # a reviewer of the department: not the unit's clerk
    assert client.post(url(DisposalFlow.execute, task)).status_code == 403
    client.force_login(bob)  # another unit's clerk: the case does not exist for him
    assert client.get(url(DisposalFlow.execute, task)).status_code == 404
    assert client.get(f"/cases/{case.pk}/").status_code == 404


# -- the further methods of the seeds: one scenario each, driven through the same URLs -------------------------------

LAND = "土地资源"
INFRASTRUCTURE = "公共基础设施（含旅游景区）"
RESEARCH = "科研仪器设备"


def imported(clerk, code, name, category, subtype, value, **extra):
    """An idle asset of the clerk's unit, imported through the ledger pages with the evidence an idle report needs."""
    fields = {"计量单位": "项", "原值（元）": value, "净值（元）": value / 2, **extra}
    [asset] = import_ledger(clerk, ledger_row(
        资产编号=code, 资产名称=name, 资产类别=category, 资产子类=subtype, 取得日期=datetime.date(2010, 3, 1),
        使用状况="闲置", 停用日期=two_years_ago(), 闲置原因="原用途取消后闲置", **fields,
    ))  # fmt: skip
    upload_evidence(clerk, asset, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    return asset


def lead_reviewer(asset):
    """A reviewer of the asset's lead department (自然资源局 for land, 文体旅局 for scenic areas, 科农局 for
    instruments)."""
    department = asset.subtype.lead_department if asset.subtype and asset.subtype.lead_department else None
    department = department or asset.category.lead_department
    return UserFactory(organization=department, roles=[Role.DEPT_REVIEWER])


APPRAISAL = {
    "appraisal_report_no": "川华评报字〔2026〕第0521号", "appraisal_value": "3300000",
    "appraisal_date": (TODAY - datetime.timedelta(days=40)).isoformat(),
}  # fmt: skip
# 置换: our building (appraised 1,800,000) for the counterparty's shopfront (1,650,000); the counterparty pays 150,000.
EXCHANGE_PLAN = {**APPRAISAL, "appraisal_value": "1800000", "counterparty": "茂县羌城置业有限公司",
                 "received_asset": "凤仪镇南街临街门面", "received_value": "1650000"}  # fmt: skip
EXCHANGE = {
    **EXCHANGE_PLAN, "counterparty_credit_code": "91513223MA6BRXTR7X", "received_location": "茂县凤仪镇南街56号",
    "received_area": "420", "received_appraisal_no": "川华评报字〔2026〕第0522号",
    "received_appraisal_date": (TODAY - datetime.timedelta(days=35)).isoformat(), "received_code": "MX-YZ-FW-011-ZH",
    "difference_received": "150000", "difference_paid": "", "difference_note": "", "deal_on": TODAY.isoformat(),
    "appraisal_file": True, "agreement_file": True,
    "received": "150000", "fees": "0", "remitted": "150000", "receipt_no": "川财缴2026-00955",
}  # fmt: skip
# The land methods' follow-up date: the new start of works, the end of the temporary use.
FOLLOW_UP = TODAY + datetime.timedelta(days=180)
AGREED = TODAY - datetime.timedelta(days=200)  # the start of works first agreed
SCENARIOS = {
    "equity_invest": {
        "asset": ("MX-YZ-FW-009", "原校办印刷厂房", BUILDING, "经营性用房", 3300000, {"面积（㎡）": 1200}),
        "plan": {**APPRAISAL, "investee": "茂县羌山文旅投资有限公司"},
        "execute": {**APPRAISAL, "investee": "茂县羌山文旅投资有限公司", "investee_credit_code": "91513223MA6BRXTR7X",
                    "equity_value": "3300000", "share_percent": "12.5", "deal_on": TODAY.isoformat(),
                    "appraisal_file": True},
        "refused": ({"equity_value": "3000000"}, "入股作价不能低于评估值"),
        "outcome": AssetStatus.DISPOSED,
        "printed": ("茂县羌山文旅投资有限公司", "12.50"),
    },
    "exchange": {
        "asset": ("MX-YZ-FW-011", "原校办仓库", BUILDING, "经营性用房", 1800000, {"面积（㎡）": 900}),
        "plan": EXCHANGE_PLAN,
        "execute": EXCHANGE,
        "refused": ({"difference_received": "100000"}, "置换差价应为双方评估值之差"),
        "outcome": AssetStatus.DISPOSED,
        "printed": ("茂县羌城置业有限公司", "凤仪镇南街临街门面", "150,000.00"),
    },
    "land_recovery": {
        "asset": ("MX-YZ-TD-003", "原校区闲置用地", LAND, "闲置土地", 1860000, {"面积（亩）": 12}),
        "plan": {"agreement_no": "茂储协〔2026〕3号", "compensation": "1860000", "named_unit": "town"},
        "execute": {"agreement_no": "茂储协〔2026〕3号", "compensation": "1860000", "handover_on": TODAY.isoformat(),
                    "handover_list": "宗地界址点成果表、土地证原件", "agreement_file": True},
        "refused": ({"handover_list": ""}, "交接清单"),
        "receiver_confirms": True,
        "outcome": AssetStatus.IN_USE,
        "printed": ("茂储协〔2026〕3号", "1,860,000.00"),
    },
    "extend_start": {
        "asset": ("MX-YZ-TD-004", "原校办砖厂用地", LAND, "闲置土地", 2400000, {"面积（亩）": 18}),
        "plan": {"new_start_on": FOLLOW_UP.isoformat()},
        "execute": {"land_user": "茂县岷江建材有限公司", "agreed_start_on": AGREED.isoformat(),
                    "new_start_on": FOLLOW_UP.isoformat(), "extension_approval_no": "茂自然资函〔2026〕8号",
                    "extension_reason": "受地质灾害治理影响，经批准延期动工", "approval_file": True},
        "refused": ({"agreed_start_on": (FOLLOW_UP + datetime.timedelta(days=1)).isoformat()}, "须晚于原约定动工日期"),
        "outcome": AssetStatus.REVITALIZED,
        "printed": ("茂自然资函〔2026〕8号", cn_date(FOLLOW_UP)),
    },
    "temporary_use": {
        "asset": ("MX-YZ-TD-005", "原校区东侧空地", LAND, "闲置土地", 960000, {"面积（亩）": 6}),
        "plan": {"temporary_user": "茂县凤仪镇农贸市场服务中心", "temporary_starts_on": TODAY.isoformat(),
                 "temporary_ends_on": FOLLOW_UP.isoformat()},
        "execute": {"temporary_user": "茂县凤仪镇农贸市场服务中心", "temporary_purpose": "临时农贸集市",
                    "temporary_starts_on": TODAY.isoformat(), "temporary_ends_on": FOLLOW_UP.isoformat(),
                    "temporary_fee": "24000", "contract_no": "茂临〔2026〕2号", "contract_file": True,
                    "received": "24000", "fees": "0", "remitted": "24000", "receipt_no": "川财缴2026-01001"},
        "refused": ({"temporary_ends_on": AGREED.isoformat()}, "临时使用期限止须晚于期限起"),
        "outcome": AssetStatus.REVITALIZED,
        "printed": ("茂县凤仪镇农贸市场服务中心", "24,000.00", cn_date(FOLLOW_UP)),
    },
    "concession": {
        "asset": ("MX-YZ-JD-001", "原校属观光索道", INFRASTRUCTURE, "旅游景区", 5200000, {}),
        "plan": {"procedure": "公开招标", "concession_starts_on": TODAY.isoformat(),
                 "concession_ends_on": years_after(TODAY, 10).isoformat()},
        "execute": {"concessionaire": "阿坝州九顶山旅游开发有限公司", "procedure": "公开招标",
                    "concession_starts_on": TODAY.isoformat(), "concession_ends_on": years_after(TODAY, 10).isoformat(),
                    "concession_fee": "360000", "contract_no": "茂特许〔2026〕1号", "contract_file": True,
                    "received": "360000", "fees": "0", "remitted": "360000", "receipt_no": "川财缴2026-00901"},
        "refused": ({"procedure": "直接协商"}, "未采用公开方式的理由"),
        "outcome": AssetStatus.REVITALIZED,
        "printed": ("阿坝州九顶山旅游开发有限公司", "360,000.00"),
    },
    "open_sharing": {
        "asset": ("MX-YZ-YQ-001", "激光共聚焦显微镜", RESEARCH, "大型科研仪器", 860000, {"计量单位": "台"}),
        "plan": {"platform": "四川省大型科学仪器设备共享平台"},
        "execute": {"platform": "四川省大型科学仪器设备共享平台", "sharing_starts_on": TODAY.isoformat(),
                    "fee_standard": "每机时300元", "custodian": "何军", "sharing_file": True},
        "refused": ({"custodian": ""}, "管理责任人"),
        "outcome": AssetStatus.REVITALIZED,
        "printed": ("四川省大型科学仪器设备共享平台", "每机时300元"),
    },
}  # fmt: skip


def _files(data: dict) -> dict:
    return {k: pdf(f"{k}.pdf") if v is True else v for k, v in data.items()}


def scenario_closed(client, code, alice, henry, fiona, fred, bob, town, *, refusal=True):
    """The method's scenario from 申报 to 销号 through the URLs, as its users; `refusal`: first send its broken
    execution, and see it refused whole."""
    scenario, spec = SCENARIOS[code], methods.get(code)
    asset_code, name, category, subtype, value, extra = scenario["asset"]
    plan_note = {"盘活思路": f"拟{spec.label}", "完成时限": years_after(TODAY, 1)}
    asset = imported(alice, asset_code, name, category, subtype, value, **extra, **plan_note)
    reviewer = lead_reviewer(asset)
    case = verified_via_urls(client, asset, alice, henry, reviewer, window_closed=True)
    page = plan_page(client, alice, case)
    assert f'value="{code}"' in page and spec.hint in page  # offered for the category, with what it requires
    plan = {"method": code, "summary": f"{spec.label}方案", "minutes": pdf("会议纪要.pdf"), **scenario["plan"]}
    plan = {k: town.pk if v == "town" else v for k, v in plan.items()}
    do(client, alice, case, DisposalFlow.plan, plan, claim_first=False)
    approve_plan(client, case, reviewer, fiona)

    task = claim(client, alice, case, DisposalFlow.execute)
    if refusal:
        broken, message = scenario["refused"]
        response = client.post(url(DisposalFlow.execute, task), _files({**scenario["execute"], **broken}))
        assert response.status_code == 422 and message in response.content.decode(), errors(response)
        assert fresh(case).state == CaseState.PLAN_APPROVED  # refused whole, nothing half-written
    response = client.post(url(DisposalFlow.execute, task), _files(scenario["execute"]))
    assert response.status_code == 302, errors(response)
    if scenario.get("receiver_confirms"):
        do(client, bob, case, DisposalFlow.confirm_receipt, {"confirm": "on", "note": "已接收"})
    if spec.earns_money:
        assert fresh(case).amount_due == Decimal(scenario["execute"][spec.due_field])
        do(client, fred, case, DisposalFlow.confirm_remittance, {"confirm": "on"})
        do(client, fred, case, DisposalFlow.close, {"confirm": "on", "note": "同意销号"})
    else:
        do(client, fiona, case, DisposalFlow.close, {"confirm": "on", "note": "同意销号"})
    return fresh(case)


@pytest.mark.parametrize("code", list(SCENARIOS))
def test_each_further_method_runs_to_closing_as_its_users_and_refuses_what_its_rules_refuse(
    client, code, alice, henry, fiona, fred, bob, town, tmp_path
):
    scenario, spec = SCENARIOS[code], methods.get(code)
    case = scenario_closed(client, code, alice, henry, fiona, fred, bob, town)

    asset = Asset.objects.get(pk=case.asset_id)
    assert case.state == CaseState.CLOSED and asset.status == scenario["outcome"]
    if spec.outcome != methods.Outcome.DISPOSED:  # in use again: the idle plan is history (kept in the trail)
        assert (asset.direction_note, asset.deadline, asset.idle_since) == ("", None, None)
    if spec.outcome == methods.Outcome.TRANSFERRED:
        assert asset.holding_unit_id == town.pk
    document = next(d for d in issue_all(fresh(case)) if d.kind == spec.document)
    signers = ["茂县第一中学", *(["茂县凤仪镇人民政府"] if spec.receiver else [])]
    assert_signed(document, tmp_path, *signers)
    text = printed(document)
    assert spec.document_title in text and all(value in text for value in scenario["printed"])
    closure = next(d for d in issue_all(fresh(case)) if d.kind == "closure")
    assert spec.label in printed(closure)


def test_an_administrative_unit_may_not_invest_state_assets(client, alice, henry, school):
    school.kind = OrganizationKind.ADMINISTRATIVE  # as the county's administrator records it in the admin
    school.save()
    asset = imported(alice, "MX-YZ-FW-010", "原车库", BUILDING, "经营性用房", 800000, **{"面积（㎡）": 300})
    reviewer = lead_reviewer(asset)
    case = verified_via_urls(client, asset, alice, henry, reviewer, window_closed=True)
    plan_page(client, alice, case)
    task = open_task(case, DisposalFlow.plan)
    data = {"method": "equity_invest", "summary": "作价入股", "minutes": pdf(), **SCENARIOS["equity_invest"]["plan"]}
    response = client.post(url(DisposalFlow.plan, task), data)
    assert response.status_code == 422 and "行政单位不得以国有资产对外投资" in response.content.decode()
    assert fresh(case).state == CaseState.VERIFIED


def test_an_instrument_below_the_sharing_threshold_is_not_offered_for_sharing(client, alice, henry):
    # 原值 20万元及以上科研仪器 (seed 000 二(六)1): the county's threshold, as data.
    asset = imported(alice, "MX-YZ-YQ-002", "离心机", RESEARCH, "实验设备", 80000, **{"计量单位": "台"})
    reviewer = lead_reviewer(asset)
    case = verified_via_urls(client, asset, alice, henry, reviewer, window_closed=True)
    assert 'value="open_sharing"' not in plan_page(client, alice, case)
    rule = MethodAvailability.objects.get(method="open_sharing", category=asset.category, subtype=None)
    assert rule.min_original_value == Decimal("200000")


def test_the_county_administrator_sets_a_categorys_methods_in_the_admin_and_a_wrong_sub_type_is_refused(client):
    from assets.models import Category, CategorySubtype

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    building = Category.objects.get(code="building")
    page = client.get("/admin/workflows/methodavailability/add/").content.decode()
    assert "盘活方式适用范围" in page and "原值下限（元）" in page and "委托运营" in page
    other = CategorySubtype.objects.exclude(category=building).first()
    data = {"method": "lease", "category": building.pk, "subtype": other.pk, "enabled": "", "min_original_value": ""}
    response = client.post("/admin/workflows/methodavailability/add/", data)
    assert response.status_code == 200 and f"子类“{other.name}”不属于类别“{building}”" in response.content.decode()
    response = client.post("/admin/workflows/methodavailability/add/", {**data, "min_original_value": "-1"})
    assert response.status_code == 200 and not MethodAvailability.objects.filter(method="lease").exists()
    response = client.post("/admin/workflows/methodavailability/add/", {**data, "subtype": ""})
    assert response.status_code == 302
    row = MethodAvailability.objects.get(method="lease", category=building)
    assert not row.enabled and "lease" not in {m.code for m in _offered_for(building)}


def _offered_for(category):
    from workflows.models import methods_for_asset

    return methods_for_asset(Asset(category=category, original_value=Decimal("100000")))


# -- 开放共享: each use of a shared instrument is logged by its unit ------------------------------------------------


def test_a_shared_instrument_logs_each_use_and_refuses_what_is_wrong(client, alice, henry, fiona, fred, bob, town):
    case = scenario_closed(client, "open_sharing", alice, henry, fiona, fred, bob, town, refusal=False)
    target = reverse("cases:sharing_use", args=[case.pk])
    use = {"user_name": "四川大学华西医院", "used_on": TODAY.isoformat(), "hours": "3.5", "fee": "1050",
           "purpose": "样品检测"}  # fmt: skip
    client.force_login(henry)  # the unit head sees the case, but logging is the clerk's
    assert client.post(target, use).status_code == 403
    client.force_login(bob)  # another unit's clerk does not see the case at all
    assert client.post(target, use).status_code == 404
    assert not case.sharing_uses.exists()

    client.force_login(alice)
    page = client.get(reverse("cases:process_detail", args=[case.pk])).content.decode()
    assert "共享使用记录" in page and "登记一次共享使用" in page
    for bad, field, message in [
        ({"hours": "0"}, "hours", "0.1"),
        ({"hours": "25"}, "hours", "24"),
        ({"fee": "-1"}, "fee", "0"),
        ({"used_on": years_after(TODAY, 1).isoformat()}, "used_on", "使用日期不能晚于今天"),
        ({"used_on": (TODAY - datetime.timedelta(days=1)).isoformat()}, "used_on", "不能早于开放共享日期"),
        ({"user_name": "x" * 100_000}, "user_name", "100"),
        ({"user_name": "华西\x07医院"}, "user_name", ""),
    ]:
        response = client.post(target, {**use, **bad})
        assert response.status_code == 422 and field in response.context["sharing"]["form"].errors, bad
        assert message in response.content.decode(), bad
        assert 'value="样品检测"' in response.content.decode()  # what was typed stays on the form
    assert not case.sharing_uses.exists()  # nothing half-written

    assert client.post(target, use).status_code == 302
    assert client.post(target, {**use, "user_name": "阿坝州疾控中心", "hours": "2", "fee": "600"}).status_code == 302
    page = client.get(reverse("cases:process_detail", args=[case.pk])).content.decode()
    assert "累计 2 次，5.5 机时，收费 1,650.00 元" in page and "四川大学华西医院" in page
    events = AuditEvent.objects.filter(case=case, action="sharing_use")
    assert events.count() == 2 and events.first().data["user_name"] == "四川大学华西医院"
    assert "登记共享使用" in page  # the trail names it


# -- 置换: the difference, the received asset ----------------------------------------------------------------------


def exchange_approved(client, alice, henry, fiona, code="MX-YZ-FW-011", **plan):
    asset = imported(alice, code, "原校办仓库", BUILDING, "经营性用房", 1800000, **{"面积（㎡）": 900})
    reviewer = lead_reviewer(asset)
    case = verified_via_urls(client, asset, alice, henry, reviewer, window_closed=True)
    plan_page(client, alice, case)
    data = {"method": "exchange", "summary": "以旧仓库置换临街门面", "minutes": pdf("会议纪要.pdf"),
            **EXCHANGE_PLAN, **plan}  # fmt: skip
    do(client, alice, case, DisposalFlow.plan, data, claim_first=False)
    approve_plan(client, case, reviewer, fiona)
    return fresh(case)


def test_an_exchange_closes_with_the_received_asset_as_a_new_record_on_the_units_ledger(
    client, alice, henry, fiona, fred, school
):
    case = exchange_approved(client, alice, henry, fiona)
    do(client, alice, case, DisposalFlow.execute, _files(EXCHANGE))
    assert fresh(case).amount_due == Decimal("150000.00")  # the difference received is money due (收支两条线)
    assert not Asset.objects.filter(code="MX-YZ-FW-011-ZH").exists()  # enters the ledger at 销号, not before
    do(client, fred, case, DisposalFlow.confirm_remittance, {"confirm": "on"})
    do(client, fred, case, DisposalFlow.close, {"confirm": "on", "note": "同意销号"})

    given = Asset.objects.get(pk=case.asset_id)
    received = Asset.objects.get(code="MX-YZ-FW-011-ZH")
    assert given.status == AssetStatus.DISPOSED
    assert (received.holding_unit, received.status, received.category, received.subtype) == (
        school, AssetStatus.IN_USE, given.category, given.subtype,
    )  # fmt: skip
    assert (received.name, received.address, received.area_m2) == ("凤仪镇南街临街门面", "茂县凤仪镇南街56号", 420)
    assert (received.original_value, received.net_value, received.acquired_on) == (1650000, 1650000, TODAY)
    assert "茂县羌城置业有限公司" in received.remarks
    from audit.models import AuditEvent

    registered = AuditEvent.objects.get(action="asset_create", asset=received)
    assert registered.actor == fred and registered.data["source"] == "置换：换出MX-YZ-FW-011原校办仓库"
    closed = AuditEvent.objects.get(action="close", case=case)
    assert closed.data["received_asset"] == "MX-YZ-FW-011-ZH"
    client.force_login(alice)  # the unit's clerk finds it in her ledger
    assert "MX-YZ-FW-011-ZH" in client.get("/register/", {"q": "MX-YZ-FW-011-ZH"}).content.decode()


def test_an_exchange_that_pays_the_difference_earns_nothing_and_a_differing_one_must_say_why(
    client, alice, henry, fiona
):
    # The counterparty's asset is worth more (1,900,000): the unit pays 100,000; nothing is due to the treasury.
    case = exchange_approved(client, alice, henry, fiona, received_value="1900000")
    task = claim(client, alice, case, DisposalFlow.execute)
    paid = {**EXCHANGE, "received_value": "1900000", "difference_received": "", "difference_paid": "90000",
            "received": "", "remitted": "", "receipt_no": ""}  # fmt: skip
    response = client.post(url(DisposalFlow.execute, task), _files(paid))
    text = response.content.decode()
    assert response.status_code == 422 and "应付差价1,900,000.00" not in text and "应付差价100,000.00 元" in text
    assert fresh(case).state == CaseState.PLAN_APPROVED and fresh(case).execution_or_none() is None
    settled = {**paid, "difference_note": "对方承担门面装修费用1万元，经集体决策差价按9万元结算"}
    response = client.post(url(DisposalFlow.execute, task), _files(settled))
    assert response.status_code == 302, errors(response)
    case = fresh(case)
    assert (
        case.state == CaseState.EXECUTED
        and case.amount_due is None
        and case.execution.value("difference_paid") == Decimal("90000.00")
    )
    do(client, fiona, case, DisposalFlow.close, {"confirm": "on", "note": "同意销号"})  # no remittance to confirm
    assert Asset.objects.get(code="MX-YZ-FW-011-ZH").original_value == Decimal("1900000.00")


EXCHANGE_REFUSALS = {
    # First: a refused form keeps its files for the next try (workflows.staging), so later tries have the report.
    "no appraisal report": ({"appraisal_file": ""}, "须有有效的评估报告"),
    "a wrong credit code": ({"counterparty_credit_code": "91513223MA6BRXTR7Y"}, "置换对方的统一社会信用代码有误"),
    "a stale received appraisal": (
        {"received_appraisal_date": (TODAY - datetime.timedelta(days=400)).isoformat()}, "换入资产的评估报告也须有效",
    ),
    "a code already on the ledger": ({"received_code": "MX-YZ-FW-011"}, "已在台账中登记"),
    "a difference both ways": ({"difference_paid": "150000"}, "只能填写其中一项"),
}  # fmt: skip


def test_an_exchange_refuses_each_broken_rule_with_its_reason_and_records_nothing(client, alice, henry, fiona):
    case = exchange_approved(client, alice, henry, fiona)
    task = claim(client, alice, case, DisposalFlow.execute)
    for what, (broken, message) in EXCHANGE_REFUSALS.items():
        response = client.post(url(DisposalFlow.execute, task), _files({**EXCHANGE, **broken}))
        assert response.status_code == 422 and message in response.content.decode(), (what, errors(response))
        assert fresh(case).state == CaseState.PLAN_APPROVED and fresh(case).execution_or_none() is None, what
    assert not Asset.objects.filter(code="MX-YZ-FW-011-ZH").exists()


def test_an_exchange_plan_on_an_expired_appraisal_is_refused(client, alice, henry):
    asset = imported(alice, "MX-YZ-FW-012", "原校办车库", BUILDING, "经营性用房", 600000, **{"面积（㎡）": 200})
    reviewer = lead_reviewer(asset)
    case = verified_via_urls(client, asset, alice, henry, reviewer, window_closed=True)
    plan_page(client, alice, case)
    stale = (TODAY - datetime.timedelta(days=400)).isoformat()
    data = {"method": "exchange", "summary": "置换", "minutes": pdf(), **EXCHANGE_PLAN, "appraisal_date": stale}
    response = client.post(url(DisposalFlow.plan, open_task(case, DisposalFlow.plan)), data)
    assert response.status_code == 422 and "评估报告已过有效期" in response.content.decode()
    assert fresh(case).state == CaseState.VERIFIED and not fresh(case).method


def test_a_received_code_taken_before_closing_refuses_the_closing_and_keeps_the_case_as_it_was(
    client, alice, henry, fiona
):
    case = exchange_approved(client, alice, henry, fiona, received_value="1800000")
    even = {**EXCHANGE, "received_value": "1800000", "difference_received": "", "received": "", "remitted": "",
            "receipt_no": ""}  # fmt: skip
    do(client, alice, case, DisposalFlow.execute, _files(even))
    assert fresh(case).state == CaseState.EXECUTED and fresh(case).amount_due is None  # an even exchange: no money
    # Meanwhile the clerk registers another asset under the code the exchange was to use.
    import_ledger(alice, ledger_row(资产编号="MX-YZ-FW-011-ZH"))
    task = claim(client, fiona, case, DisposalFlow.close)
    response = client.post(url(DisposalFlow.close, task), {"confirm": "on", "note": "同意销号"})
    text = response.content.decode()
    assert response.status_code == 422 and "已被台账中的其他资产使用" in text and "修改该资产的编号" in text
    assert fresh(case).state == CaseState.EXECUTED
    assert Asset.objects.get(pk=case.asset_id).status == AssetStatus.IN_CASE
    assert Asset.objects.filter(code="MX-YZ-FW-011-ZH").count() == 1  # only the clerk's own
