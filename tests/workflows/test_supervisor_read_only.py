"""Supervisors read everything and change nothing (DESIGN.md "Who uses it"): every URL of the site is classified
here, and a supervisor walking a case from report to 销号 gets 403 on every action URL at every step, while every
case page and document opens. A URL added without a class here fails the first test."""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from assets.models import ImportBatch
from audit.models import AuditEvent
from contracts.models import Contract, Payment
from documents.models import Document
from supervision.models import ArchiveBatch
from workflows.flows import DisposalFlow
from workflows.models import CaseState, Policy

from ..cases import LEASE_PLAN, issue_all
from .test_flow_urls import LEASE, do, fresh, open_task, pdf, report, verified_via_urls

pytestmark = pytest.mark.django_db

NODE_ACTIONS = {"assign", "unassign", "reassign", "execute"}
NODE_READS = {"index", "detail"}
# Acting on a case, an asset or someone's task: a supervisor gets 403.
ACTIONS = {
    "cases:report",
    "cases:withdraw",
    "cases:sharing_use",
    "cases:follow_up",  # 跟进核查 is the lead department's
    "cases:substitution",
    "cases:tasks_assign",
    "cases:team",  # a head's read of his own organization's open work: a supervisor has none, so 403
    "board:apply",
    "board:applications",
    "board:withdraw",
    "register:add",
    "register:edit",
    "register:attachment_upload",
    "register:import",
    "register:import_detail",
    "register:import_progress",
    "register:import_commit",
    "register:import_error_file",
    "contracts:payment_record",
    "contracts:payment_confirm",
    "contracts:return",
    "contracts:terminate",
    "contracts:renewal_request",
    "contracts:renewal_approve",
    "contracts:renewal_return",
}
# Reading (and exporting what one may read): open to a supervisor.
READS = {
    "index",
    "cases:index",
    "cases:inbox",
    "cases:queue",
    "cases:archive",
    "cases:process_list",
    "cases:process_detail",
    "cases:chart",
    "cases:process_chart",
    "cases:flow_chart",
    "cases:document",
    "cases:notifications",
    "board:list",
    "board:index",
    "board:asset",
    "board:photo",
    "register:list",
    "register:index",
    "register:detail",
    "register:attachment_download",
    "register:export",
    "register:import_template",
    "supervision:index",
    "supervision:trail",
    "supervision:trail_xlsx",
    "supervision:trail_verify",
    "supervision:trail_verify_check",
    "supervision:trail_verify_progress",
    "supervision:alert_xlsx",
    "supervision:archives",
    "supervision:archive_asset",
    "supervision:archive_batch",
    "supervision:archive_batch_progress",
    "supervision:archive_batch_download",
    "supervision:dashboard",
    "supervision:reports",
    "supervision:report_xlsx",
    "supervision:report_pdf",
    "supervision:report_document",
    "contracts:index",
    "contracts:detail",
    "contracts:ledger",
    "contracts:ledger_xlsx",
    "contracts:contract_ledger",
    "contracts:contract_ledger_xlsx",
    "contracts:document",
}
# Everyone's own account, and the public verification page.
OWN_OR_PUBLIC = {
    "login",
    "accounts:login",
    "accounts:two_factor_setup",
    "accounts:two_factor_verify",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "accounts:password_change",
    "accounts:password_change_done",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "verify:upload",
    "verify:root_certificate",
    "verify:document",
}


def site_urls(patterns=None, prefix="", namespace=""):
    """(route, name) of every URL outside the Django admin (which needs is_staff; supervisors are not)."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("admin/"):
                continue
            ns = namespace + (f"{p.namespace}:" if p.namespace else "")
            yield from site_urls(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace + (p.name or "")


def node_of(name: str):
    parts = name.split(":")
    if len(parts) == 3 and parts[0] == "cases" and hasattr(DisposalFlow, parts[1]):
        return getattr(DisposalFlow, parts[1]), parts[2]
    return None, None


def test_every_url_of_the_site_is_classified():
    unclassified = []
    for route, name in site_urls():
        node, action = node_of(name)
        if node is not None:
            if action not in NODE_ACTIONS | NODE_READS:
                unclassified.append(name)
        elif name not in ACTIONS | READS | OWN_OR_PUBLIC:
            unclassified.append(f"{name} ({route})")
    assert not unclassified, f"classify these URLs in {__name__}: {unclassified}"


def action_urls(case, asset, batch) -> list[str]:
    """Every non-task action URL, with real objects."""
    from django.urls import reverse

    return [
        reverse("cases:report", args=[asset.pk]),
        reverse("cases:withdraw", args=[case.pk]),
        reverse("cases:sharing_use", args=[case.pk]),
        reverse("cases:follow_up", args=[case.pk]),
        reverse("cases:substitution"),
        reverse("cases:tasks_assign"),
        reverse("cases:team"),
        reverse("board:apply", args=[case.pk]),
        reverse("board:applications"),
        reverse("board:withdraw", args=[case.pk]),  # refused before any application is looked up
        reverse("register:add"),
        reverse("register:edit", args=[asset.pk]),
        reverse("register:attachment_upload", args=[asset.pk]),
        reverse("register:import"),
        reverse("register:import_detail", args=[batch.pk]),
        reverse("register:import_progress", args=[batch.pk]),
        reverse("register:import_commit", args=[batch.pk]),
        reverse("register:import_error_file", args=[batch.pk]),
    ]


def assert_refused(client, sam, urls, data=None):
    client.force_login(sam)
    before = AuditEvent.objects.exclude(action="login").count()
    for path in urls:
        # Refused either way; a URL that answers only one method says 405 to the other (it does nothing then).
        statuses = {"POST": client.post(path, data or {}).status_code, "GET": client.get(path).status_code}
        assert set(statuses.values()) <= {403, 405} and 403 in statuses.values(), f"{path} as a supervisor: {statuses}"
    assert AuditEvent.objects.exclude(action="login").count() == before  # nothing happened


def assert_case_readable(client, sam, case):
    client.force_login(sam)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    for document in Document.objects.filter(subject_id=case.pk):
        response = client.get(f"/cases/{case.pk}/documents/{document.uuid}/")
        assert response.status_code == 200, document


def walk(client, sam, case, steps, asset, batch):
    """At each step: every URL of the open task's node and every other action URL refuses the supervisor; the
    step is then done by its rightful user."""
    for node, doer, data in steps:
        task = open_task(case, node)
        node_urls = [node.reverse(action, args=[case.pk, task.pk]) for action in sorted(NODE_ACTIONS)]
        assert_refused(client, sam, node_urls + action_urls(case, asset, batch), data)
        assert_case_readable(client, sam, case)
        do(client, doer, case, node, {k: (v() if callable(v) else v) for k, v in data.items()})
        issue_all(case)


def test_a_supervisor_can_act_on_no_step_of_a_lease_from_report_to_closure(
    client, building, alice, henry, hugo, fiona, fred, sam, clock
):
    case = report(client, alice, building)
    batch = ImportBatch.objects.create(created_by=alice, organization=alice.organization, original_name="台账.xlsx")
    plan = {**LEASE_PLAN, "method": "lease", "summary": "招租", "justification": "无单位申请", "minutes": pdf}
    steps = [
        (DisposalFlow.sign_off, henry, {"opinion": "同意"}),
        (DisposalFlow.verify, hugo, {"decision": "verify", "opinion": "属实", "record": pdf}),
        (DisposalFlow.plan, alice, plan),
        (DisposalFlow.dept_review, hugo, {"decision": "approve", "opinion": "同意"}),
        (DisposalFlow.finance_approve, fiona, {"decision": "approve", "opinion": "同意"}),
        (DisposalFlow.execute, alice, LEASE),
        (DisposalFlow.confirm_remittance, fred, {"confirm": "on"}),
        (DisposalFlow.close, fred, {"confirm": "on"}),  # his own next step: in his 我的待办 at once
    ]  # fmt: skip
    walk(client, sam, case, steps[:2], building, batch)
    clock.shift(datetime.timedelta(days=Policy.current().listing_window_days + 1))  # a lease waits for the window
    walk(client, sam, case, steps[2:], building, batch)
    assert fresh(case).state == CaseState.CLOSED
    assert_case_readable(client, sam, case)
    assert Document.objects.filter(subject_id=case.pk).count() >= 5
    # The lease's contract: the supervisor reads it, and records or confirms no payment.
    contract = Contract.objects.get(case_id=case.pk)
    payment = Payment.objects.get(installment__contract=contract)
    assert client.get(reverse("contracts:index")).status_code == 200
    assert client.get(reverse("contracts:detail", args=[contract.pk])).status_code == 200
    assert client.get(reverse("contracts:ledger")).status_code == 200
    assert client.get(reverse("contracts:contract_ledger", args=[contract.pk])).status_code == 200
    paying = [reverse("contracts:payment_record", args=[contract.pk]),
              reverse("contracts:payment_confirm", args=[contract.pk, payment.pk])]  # fmt: skip
    assert_refused(client, sam, paying, {"installment": contract.installments.first().pk, "amount": "1"})


def test_a_supervisor_can_act_on_no_step_of_a_reallocation_including_the_receipt(
    client, computer, alice, henry, rita, bob, sam, fiona
):
    case = verified_via_urls(client, computer, alice, henry, rita)
    issue_all(case)
    client.force_login(bob)
    assert client.post(f"/board/{case.pk}/apply/", {"reason": "镇政府办公用机不足"}).status_code == 302
    batch = ImportBatch.objects.create(created_by=alice, organization=alice.organization, original_name="台账.xlsx")
    plan = {"method": "reallocate", "summary": "调剂给凤仪镇", "receiving_unit": bob.organization_id}
    handover = {"handover_on": LEASE["lease_starts_on"], "handover_list": "主机一台", "handover_list_file": pdf}
    steps = [
        (DisposalFlow.plan, alice, plan),
        (DisposalFlow.dept_review, rita, {"decision": "approve", "opinion": "同意"}),
        (DisposalFlow.execute, alice, handover),
        (DisposalFlow.confirm_receipt, bob, {"confirm": "on"}),
        (DisposalFlow.close, fiona, {"confirm": "on"}),
    ]  # fmt: skip
    walk(client, sam, case, steps, computer, batch)
    assert fresh(case).state == CaseState.CLOSED


def test_a_supervisor_reads_every_area_and_exports(client, sam, building, alice):
    client.force_login(sam)
    for path in ["/", "/cases/flows/", "/cases/inbox/", "/register/", f"/register/{building.pk}/", "/board/",
                 "/supervision/trail/", "/register/export/"]:  # fmt: skip
        assert client.get(path).status_code == 200, path
    assert not ArchiveBatch.objects.exists()


def test_the_menu_offers_substitution_only_to_people_who_hold_tasks(client, sam, alice):
    client.force_login(sam)
    assert "/cases/substitution/" not in client.get("/cases/inbox/").content.decode()
    client.force_login(alice)
    assert "/cases/substitution/" in client.get("/cases/inbox/").content.decode()
