"""Every 盘活方式's refusals through the real URLs (issue 13 §4): at its plan step, its execution step and, where its
receiving unit confirms, 确认接收, every other role is refused (403) and another organization finds nothing (404);
each rule of its declaration, unmet, is refused with that rule's Chinese message; and no refusal writes anything.

One case per method carries all of them: a refused submit changes nothing, so the next refusal meets the case as the
last one left it, and the method's valid input finally goes through (so each refusal was its rule's, not the
input's)."""

import copy
import datetime
import html

import pytest
from viewflow.workflow.models import Task

from assets.models import Asset, AssetAttachment, AttachmentKind, OrganizationKind, Role
from audit.models import AuditEvent
from documents.services import documents_of
from workflows import methods
from workflows.flows import DisposalFlow
from workflows.models import (
    CaseAttachment,
    CaseState,
    DisposalCase,
    ExecutionRecord,
    Notification,
    Policy,
    ReallocationApplication,
    StagedUpload,
    appraisal_valid,
    reallocation_first,
)

from ..cases import AUCTION_PLAN, LEASE_PLAN, two_years_ago, window_ago
from ..clock import TODAY, years_after
from ..factories import OrganizationFactory, UserFactory
from ..ledgers import BUILDING, import_ledger, ledger_row, upload_evidence
from .test_flow_urls import LEASE, auction, claim, do, errors, fresh, open_task, pdf, url, verified_via_urls
from .test_methods import AGREED, FOLLOW_UP, OPERATION, SCENARIOS, approve_plan, imported, lead_reviewer

pytestmark = pytest.mark.django_db

# -- each method's asset and its valid input -------------------------------------------------------------------------

# The asset a case of each method is about (code, name, category, sub-type, 原值, more columns): the school's idle
# building unless the method's categories ask for another.
ASSETS = {
    **{
        code: SCENARIOS[code]["asset"]
        for code in ("exchange", "land_recovery", "extend_start", "temporary_use", "concession", "open_sharing")
    },
    "scrap": "early computer",  # bought three years ago: under its six years, so its early scrap must be justified
}
THE_BUILDING = ("MX-YZ-FW-001", "原教师周转房", BUILDING, "经营性用房", 3600000, {"面积（㎡）": 860})

# What a plan of each method says, and what its execution records, when every rule is kept ("town": the unit it
# names; True: a PDF uploaded in that field).
VALID = {
    "reallocate": {
        "plan": {"receiving_unit": "town"},
        "execute": {"handover_on": TODAY.isoformat(), "handover_list": "周转房1栋及钥匙", "handover_list_file": True},
    },
    "lease": {"plan": LEASE_PLAN, "execute": {**LEASE, "contract_file": True}},
    "auction": {"plan": AUCTION_PLAN, "execute": {**auction("2300000"), "appraisal_file": True}},
    "scrap": {
        "plan": {"technical_appraisal": "主板老化，维修费用高于残值", "early_scrap_explanation": "雷击损坏，无法修复",
                 "technical_file": True},
        "execute": {"technical_appraisal": "主板老化，维修费用高于残值",
                    "early_scrap_explanation": "雷击损坏，无法修复", "recycler": "茂县再生资源回收有限公司",
                    "residual_value": "200", "technical_file": True,
                    "received": "200", "fees": "0", "remitted": "200", "receipt_no": "川财缴2026-00321"},
    },
    "free_transfer": {
        "plan": {"named_unit": "town", "transfer_basis": "茂府函〔2026〕12号"},
        "execute": {"transfer_basis": "茂府函〔2026〕12号", "handover_on": TODAY.isoformat(),
                    "handover_list": "周转房1栋及钥匙、图纸", "approval_file": True},
    },
    "entrusted_ops": {
        "plan": {"selection": "公开遴选", "ops_starts_on": OPERATION["ops_starts_on"],
                 "ops_ends_on": OPERATION["ops_ends_on"]},
        "execute": {**OPERATION, "contract_file": True},
    },
    "conversion": {
        "plan": {"new_use": "社区老年助餐点"},
        "execute": {"new_use": "社区老年助餐点", "works": "改造餐厅和备餐间", "works_cost": "312500",
                    "accepted_on": TODAY.replace(day=1).isoformat(), "acceptance_record": "工程质量合格",
                    "acceptance_file": True},
    },
    **{code: {"plan": SCENARIOS[code]["plan"], "execute": SCENARIOS[code]["execute"]}
       for code in ("equity_invest", "exchange", "land_recovery", "extend_start", "temporary_use", "concession",
                    "open_sharing")},
}  # fmt: skip

# -- what breaks each rule -------------------------------------------------------------------------------------------

# Each rule a method declares (its `conditions` and `plan_conditions`), by the rule's function name: what to change
# in the method's valid input to break it. {"unit_kind": ...}: the rule is about the holding unit, which the county's
# administrator records as that kind first. A rule declared without an entry here fails
# test_every_rule_of_every_method_has_an_input_that_breaks_it.
BREAKS = {
    # 拍卖
    "reserve_at_least_appraisal": {"reserve_price": "1800000"},
    "bid_at_or_above_reserve": {"winning_bid": "1900000", "received": "1900000", "remitted": "1900000"},
    "bid_at_or_above_floor": {"reserve_price": "1600000", "winning_bid": "1700000", "received": "1700000",
                              "remitted": "1700000"},
    # 出租出借
    "lease_within_term_cap": {"lease_ends_on": years_after(TODAY, 25).isoformat()},
    "rent_at_least_reserve": {"annual_rent": "40000", "received": "40000", "remitted": "40000"},
    # 公开 unless the plan says why (each method with a Procedure: at the plan, and at execution)
    "lease_plan_procedure_justified": {"lease_procedure": "协议出租"},
    "lease_procedure_justified": {"lease_procedure": "协议出租"},
    "entrusted_ops_plan_procedure_justified": {"selection": "直接委托"},
    "entrusted_ops_procedure_justified": {"selection": "直接委托"},
    "concession_plan_procedure_justified": {"procedure": "直接协商"},
    "concession_procedure_justified": {"procedure": "直接协商"},
    # 报废
    "early_scrap_justified": {"technical_appraisal": ""},
    # 委托运营
    "operation_term_valid": {"ops_ends_on": (TODAY - datetime.timedelta(days=30)).isoformat()},
    "operation_pays": {"annual_fee": "", "received": "", "remitted": ""},
    # 功能转型
    "conversion_accepted": {"accepted_on": years_after(TODAY, 1).isoformat()},
    "new_subtype_of_category": {"new_subtype": "养老机构"},  # a sub-type of 公益性资产, not of the building's 房屋
    # 作价入股
    "investor_may_invest": {"unit_kind": OrganizationKind.ADMINISTRATIVE},
    "invested_at_appraisal": {"equity_value": "3000000"},
    "investee_code_valid": {"investee_credit_code": "91513223MA6BRXTR7"},  # 17 characters
    # 特许经营
    "concession_term_valid": {"concession_ends_on": (TODAY - datetime.timedelta(days=30)).isoformat()},
    # 置换 (the valid one receives 150,000: our 1,800,000 against their 1,650,000)
    "difference_one_way": {"difference_paid": "1000"},
    "difference_matches_appraisals": {"difference_received": "100000", "received": "100000", "remitted": "100000"},
    "received_appraisal_valid": {"received_appraisal_date": (TODAY + datetime.timedelta(days=1)).isoformat()},
    "counterparty_code_valid": {"counterparty_credit_code": "91513223MA6BRXTR7"},  # 17 characters
    "lease_counterparty_credit_code_valid": {"counterparty_credit_code": "91513223MA6BRXTR7"},
    "entrusted_ops_counterparty_credit_code_valid": {"counterparty_credit_code": "91513223MA6BRXTR7"},
    "concession_counterparty_credit_code_valid": {"counterparty_credit_code": "91513223MA6BRXTR7"},
    "temporary_use_counterparty_credit_code_valid": {"counterparty_credit_code": "91513223MA6BRXTR7"},
    "received_code_free": {"received_code": SCENARIOS["exchange"]["asset"][0]},  # the asset given in exchange
    # 延长动工期限, 安排临时使用
    "extension_later": {"agreed_start_on": (FOLLOW_UP + datetime.timedelta(days=1)).isoformat()},
    "extension_ahead": {"new_start_on": (TODAY - datetime.timedelta(days=1)).isoformat()},
    "temporary_term_valid": {"temporary_ends_on": AGREED.isoformat()},
}  # fmt: skip


def rules_of(method) -> list:
    return [*method.plan_conditions, *method.conditions]


def test_every_rule_of_every_method_has_an_input_that_breaks_it():
    declared = {rule.__name__ for method in methods.all_methods() for rule in rules_of(method)}
    missing = sorted(declared - set(BREAKS))
    assert not missing, f"no breaking input in BREAKS for: {', '.join(missing)}"
    assert not set(BREAKS) - declared, f"BREAKS names rules no method declares: {sorted(set(BREAKS) - declared)}"
    assert not {m.code for m in methods.all_methods()} - set(VALID), "a method without its valid input in VALID"


# -- who is refused --------------------------------------------------------------------------------------------------


@pytest.fixture
def people(db, alice, henry, bob, town, fiona, sam, adam):
    """Besides the school's clerk and head: the town's head, and the clerk of a township the case is nothing to."""
    other = OrganizationFactory(name="茂县南新镇人民政府", short_name="茂南新", kind=OrganizationKind.TOWNSHIP)
    return {
        "alice": alice, "henry": henry, "bob": bob, "fiona": fiona, "sam": sam, "adam": adam,
        "town_head": UserFactory(username="town_head", organization=town, roles=[Role.UNIT_HEAD]),
        "carol": UserFactory(username="carol", organization=other, roles=[Role.UNIT_CLERK]),
    }  # fmt: skip


def written(case) -> dict:
    """Everything a step may write about the case: its row, its record, tasks, trail, files, documents, notices."""
    return {
        "case": DisposalCase.objects.filter(pk=case.pk).values().get(),
        "asset": Asset.objects.filter(pk=case.asset_id).values().get(),
        "record": list(ExecutionRecord.objects.filter(case_id=case.pk).values()),
        "tasks": list(Task.objects.filter(process_id=case.pk).order_by("pk").values_list("pk", "status", "owner_id")),
        "events": list(AuditEvent.objects.filter(case_id=case.pk).values_list("pk", flat=True)),
        "attachments": AssetAttachment.objects.filter(asset_id=case.asset_id).count(),
        "evidence": CaseAttachment.objects.filter(case_id=case.pk).count(),
        "documents": documents_of(case).count(),
        "notifications": Notification.objects.filter(case_id=case.pk).count(),
        "applications": ReallocationApplication.objects.filter(case_id=case.pk).count(),
    }


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def assert_refused(client, case, node, data, *, forbidden, hidden):
    """GET and POST of the step's form by each of `forbidden` (403, with the reason; its claim too) and each of
    `hidden` (404; the case page too); nothing written, not even a staged file."""
    task = open_task(case, node)
    before, staged = written(case), StagedUpload.objects.count()
    for users, status in ((forbidden, 403), (hidden, 404)):
        for user in users:
            client.force_login(user)
            # A stranger's claim meets the same lookup as the form: the form's GET and POST, and the case page.
            requests = (("get", "execute"), ("post", "execute"), *((("post", "assign"),) if status == 403 else ()))
            for method, action in requests:
                body = {"data": data()} if method == "post" else {}
                response = getattr(client, method)(url(node, task, action), **body)
                where = f"{node.name}/{action} {method.upper()} as {user.username}"
                assert response.status_code == status, f"{where}: {response.status_code}, not {status}"
                assert ("您无权办理该任务" if status == 403 else "页面不存在") in page_text(response), where
            if status == 404:
                assert client.get(f"/cases/{case.pk}/").status_code == 404, user.username
    assert written(case) == before, f"{node.name}: a refused request wrote something"
    assert StagedUpload.objects.count() == staged


def assert_rule_refused(client, case, node, user, data, rule, *, probe) -> None:
    """`data` submitted by the step's own holder breaks `rule`: 422, the rule's own message on the form, and nothing
    written but the chosen files kept for the next submit (workflows.staging)."""
    client.force_login(user)
    before = written(case)
    response = client.post(url(node, open_task(case, node)), data)
    assert response.status_code == 422, f"{rule.__name__}: {errors(response)}"
    probe = probe(response)
    assert not rule(probe), f"{rule.__name__}: the input does not break it"
    message = rule.message(probe) if callable(rule.message) else rule.message
    assert message and message in page_text(response), f"{rule.__name__}: no “{message}” on the form"
    assert written(case) == before, f"{rule.__name__}: the refused submit wrote something"


def plan_probe(case, code, data):
    """The case as the refused plan would have made it, for the rule's own check and message."""

    def probe(response):
        made = copy.copy(fresh(case))
        made.method, made.justification = code, data.get("justification", "")
        values = response.context["form"].cleaned_data
        for name in made.spec.plan_terms:  # the terms the plan carried, typed by the form
            made.set_plan_term(name, values.get(name))
        return made

    return probe


def record_probe(case):
    """The case with the execution the refused form carried (its typed values), for the rule's check and message."""

    def probe(response):
        made = copy.copy(fresh(case))
        values = response.context["form"].cleaned_data
        record = ExecutionRecord(case_id=made.pk, details={})
        record.case = made
        for name in made.spec.field_names:
            record.put(name, values.get(name))
        made.execution = record
        return made

    return probe


# -- the walk --------------------------------------------------------------------------------------------------------


def asset_for(code, alice):
    spec = ASSETS.get(code, THE_BUILDING)
    if spec == "early computer":
        [asset] = import_ledger(alice, ledger_row(
            资产编号="MX-YZ-PC-200", 资产名称="台式计算机", 取得日期=TODAY - datetime.timedelta(days=3 * 365),
            使用状况="闲置", 停用日期=two_years_ago(), 闲置原因="雷击损坏后停用",
        ))  # fmt: skip
        upload_evidence(alice, asset, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
        return asset
    asset_code, name, category, subtype, value, extra = spec
    return imported(alice, asset_code, name, category, subtype, value, **extra)


def materialized(spec: dict, town) -> dict:
    # A file can be read once: every submit gets new uploads.
    return {k: pdf(f"{k}.pdf") if v is True else town.pk if v == "town" else v for k, v in spec.items()}


@pytest.mark.parametrize("method", methods.all_methods(), ids=lambda m: m.code)
def test_each_method_refuses_other_roles_other_units_and_every_broken_rule_writing_nothing(
    client, method, people, school, town
):
    code, alice, bob = method.code, people["alice"], people["bob"]
    assert methods.get(code) is method and code in VALID, f"{code}: no valid input in VALID"
    asset = asset_for(code, alice)
    reviewer = lead_reviewer(asset)
    plan = lambda **more: materialized(  # noqa: E731
        {"method": code, "summary": f"{method.label}方案", "minutes": True, **VALID[code]["plan"], **more}, town
    )
    execute = lambda **more: materialized({**VALID[code]["execute"], **more}, town)  # noqa: E731

    with window_ago():  # verified a 调剂 window ago; the board's window is open in here
        case = verified_via_urls(client, asset, alice, people["henry"], reviewer)
        if method.receiver and method.receiver.from_applicants:
            client.force_login(bob)
            assert client.post(f"/board/{case.pk}/apply/", {"reason": "镇政府需要"}).status_code == 302
        claim(client, alice, case, DisposalFlow.plan)
        strangers = [people["carol"]]  # the step's own role, in another unit
        approvers = [reviewer, people["fiona"], people["sam"], people["adam"]]
        assert_refused(client, case, DisposalFlow.plan, plan, forbidden=[people["henry"], *approvers],
                       hidden=strangers)  # fmt: skip
        if method.yields_to_board:
            # 调剂优先 (seed 000 二(八)2): while the board's window runs, a method that yields to it needs a reason.
            data = plan()
            rule = reallocation_first
            assert_rule_refused(client, case, DisposalFlow.plan, alice, data, rule, probe=plan_probe(case, code, data))

    # -- the plan's own rules, and the receiving unit it must name
    for rule in method.plan_conditions:
        breaking = dict(BREAKS[rule.__name__])
        kind = breaking.pop("unit_kind", None)
        if kind:  # as the county's administrator records the unit in the admin, for this submit
            school.kind, was = kind, school.kind
            school.save()
        data = plan(**breaking)
        assert_rule_refused(client, case, DisposalFlow.plan, alice, data, rule, probe=plan_probe(case, code, data))
        if kind:
            school.kind = was
            school.save()
    if method.receiver:
        client.force_login(alice)
        chooser = "receiving_unit" if method.receiver.from_applicants else "named_unit"
        before = written(case)
        response = client.post(url(DisposalFlow.plan, open_task(case, DisposalFlow.plan)), plan(**{chooser: ""}))
        said = "须从申请单位中选择" if method.receiver.from_applicants else "须指定"
        assert response.status_code == 422
        assert f"{method.label}{said}{method.receiver.label}" in page_text(response)
        assert written(case) == before
    do(client, alice, case, DisposalFlow.plan, plan(), claim_first=False)
    approve_plan(client, case, reviewer, people["fiona"])

    # -- the execution step
    node = DisposalFlow.execute
    claim(client, alice, case, node)
    receivers = [bob] if method.receiver else []  # the named unit sees the case now: its clerk is a wrong role here
    assert_refused(client, case, node, execute, forbidden=[people["henry"], *receivers, *approvers], hidden=strangers)
    outright = [rule for rule in method.conditions if not rule.reapprovable]
    for rule in outright:
        data = execute(**BREAKS[rule.__name__])
        assert_rule_refused(client, case, node, alice, data, rule, probe=record_probe(case))
    if method.appraisal_valid_at:
        # 转让、置换、入股 on an appraisal valid one year (条例 738 art. 36): dealt a day after it lapsed.
        valid_for = Policy.current().appraisal_validity_days
        appraised = datetime.date.fromisoformat(VALID[code]["execute"]["appraisal_date"])
        late = {method.appraisal_valid_at: (appraised + datetime.timedelta(days=valid_for + 1)).isoformat()}
        assert_rule_refused(client, case, node, alice, execute(**late), appraisal_valid, probe=record_probe(case))

    # A rule a re-approval may lift does not refuse: the plan goes back to its approvers with the reasons.
    for rule in (rule for rule in method.conditions if rule.reapprovable):
        client.force_login(alice)
        response = client.post(url(node, open_task(case, node)), execute(**BREAKS[rule.__name__]))
        assert response.status_code == 302, f"{rule.__name__}: {errors(response)}"
        assert fresh(case).state == CaseState.PLAN_SUBMITTED and fresh(case).reapproval_reasons, rule.__name__
        assert not rule(fresh(case)), f"{rule.__name__}: the input does not break it"
        approve_plan(client, case, reviewer, people["fiona"])
        claim(client, alice, case, node)

    # The valid input goes through: each refusal above was its rule's.
    approved = {name: str(value) for name, value in fresh(case).approved_terms().items() if value not in (None, "")}
    do(client, alice, case, node, execute(**approved), claim_first=False)
    if method.receiver and method.receiver.confirms:
        assert fresh(case).state == CaseState.EXECUTING
        # 确认接收 is the receiving unit's clerk's: the holding unit's clerk, the town's head and the approvers may not.
        confirm = lambda: {"confirm": "on", "note": "已接收"}  # noqa: E731
        forbidden = [alice, people["town_head"], people["henry"], *approvers]
        assert_refused(client, case, DisposalFlow.confirm_receipt, confirm, forbidden=forbidden, hidden=strangers)
        do(client, bob, case, DisposalFlow.confirm_receipt, confirm())
    assert fresh(case).state == CaseState.EXECUTED
