"""The demo county's cases (issue 13): every 盘活方式 of the registry has one case closed and one on its way, walked
through the task pages by the county's users day by day; each closed case has its documents signed on their day, every
unit keeps an asset its clerk can still take to 销号, and a second run adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from assets.models import Asset
from audit.models import AuditEvent
from demo.cases import EARLY_STOPS, FINISHED, SCENARIOS, _candidates, demo_cases_load
from demo.county import HOLDING_UNITS, demo_county_load
from documents.models import Document, DocumentStatus
from documents.services import documents_of
from documents.signing import verify_pdf
from workflows import methods
from workflows.models import CaseState, DisposalCase, Policy

from ..clock import TODAY
from ..documents.test_issue import read

# Each step commits as in the browser, so that its document is issued after it (on commit) on the step's day.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# An open case waits after its plan was submitted (its method is known), at a human step.
WAITING_STEPS = {"dept_review", "finance_approve", "execute", "confirm_receipt", "confirm_remittance", "close"}


@pytest.fixture
def own_pki(settings, tmp_path):
    """A PKI of the test's own: the demo's story starts weeks back, and its documents are signed then, so its root
    certificate must not be one made at the suite's "now" by an earlier test."""
    settings.PANHUO_PKI_DIR = tmp_path / "pki"


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (DisposalCase, Document, Task, AuditEvent, Asset))


def test_every_method_gets_a_closed_case_and_an_open_one_signed_on_their_days_and_a_second_run_adds_nothing(own_pki):
    with transaction.atomic():
        demo_county_load(today=TODAY)

    summary = demo_cases_load()

    registry = methods.all_methods()
    assert set(SCENARIOS) == {m.code for m in registry}  # a method added without its demo data fails here
    assert (summary.created, summary.skipped) == (2 * len(registry) + len(EARLY_STOPS), "")
    for method in registry:
        cases = DisposalCase.objects.filter(method=method.code)
        [closed] = cases.filter(state=CaseState.CLOSED)
        [open_case] = cases.exclude(state__in=FINISHED)
        live = [STATUS.NEW, STATUS.ASSIGNED]
        [task] = Task.objects.filter(process_id=open_case.pk, flow_task_type="HUMAN", status__in=live)
        assert task.flow_task.name in WAITING_STEPS, (method.code, task.flow_task.name)

        documents = list(documents_of(closed).order_by("pk"))
        kinds = [d.kind for d in documents]
        assert kinds[0] == "report_form" and method.document in kinds and kinds[-1] == "closure", (method.code, kinds)
        for document in documents:
            assert document.status == DocumentStatus.ISSUED, (method.code, document.kind)
            verdict = verify_pdf(read(document))
            assert verdict.valid, (method.code, document.kind, verdict.message)
            [signed] = {timezone.localdate(s["signed_at"]) for s in verdict.signatures}
            assert signed == timezone.localdate(document.issued_at) < TODAY  # signed on its step's day, in the past
        # 调剂优先: the plan came after the board's window (the approval form is issued after the plan's review).
        approval = next(d for d in documents if d.kind == "approval_form")
        assert (approval.issued_at - closed.verified_at).days >= Policy.current().listing_window_days, method.code

    # And a case waits at each step before the plan: every state of the path shows in the county.
    live = [STATUS.NEW, STATUS.ASSIGNED]
    for stop, state in EARLY_STOPS.items():
        # The early case of each step (no method yet); a method's own case may also stand in that state (a plan
        # returned for rework is 已认定 again), so the early one is picked by its missing method.
        [case] = DisposalCase.objects.filter(state=state, method="")
        [task] = Task.objects.filter(process_id=case.pk, flow_task_type="HUMAN", status__in=live)
        assert task.flow_task.name == stop, state
    assert {c.state for c in DisposalCase.objects.all()} >= {*EARLY_STOPS.values(), CaseState.PLAN_SUBMITTED,
                                                             CaseState.PLAN_APPROVED, CaseState.EXECUTED,
                                                             CaseState.CLOSED}  # fmt: skip

    # Every unit's clerk can still report an asset of the unit's own and take it to 销号 in the browser.
    reportable = {a.holding_unit.name for a in _candidates(TODAY)}
    assert {spec.name for spec in HOLDING_UNITS} <= reportable

    before = counts()
    out = StringIO()
    call_command("seed_demo", "--today", TODAY.isoformat(), stdout=out)
    assert counts() == before
    assert f"盘活方式 {len(registry)} 种各有已销号和办理中的事项（新建事项 0 件）" in out.getvalue()
