"""`bench workflow`: many disposal cases spread over every step and department, written in bulk, then a reviewer's
inbox and queue pages and each step's task URL timed through django.test.Client.

DisposalCase is a multi-table child of viewflow's Process, which bulk_create cannot insert, so the seeder writes the
rows itself (COPY on PostgreSQL, executemany elsewhere) with the values the flow writes: the tasks' flow_task
references, types, statuses and "role@organization" keys, the case's state, current step and deadline, the done
tasks before the open one, and their notifications and audit events. A check compares the seeded keys and steps
with what the flow's own nodes compute, so the seeder cannot drift from the flow unnoticed.

It runs in a throwaway database (`throwaway_database`), or, for the tests, inside one transaction rolled back at
the end: no real database is touched."""

import contextlib
import datetime
import gc
import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from math import ceil
from pathlib import Path
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import get_resolver, reverse
from django.utils import timezone
from viewflow.workflow.fields import get_flow_ref, get_task_ref
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from assets.models import (
    HOLDING_KINDS,
    Asset,
    AssetAttachment,
    AssetStatus,
    AttachmentKind,
    Category,
    CategorySubtype,
    Organization,
    Role,
    UsageStatus,
    User,
)
from audit.models import AuditChainHead, AuditEvent, audit_content, audit_hash
from demo.county import demo_county_load
from workflows.calendar import step_due_on
from workflows.flows import DisposalFlow
from workflows.models import (
    Basis,
    CaseState,
    DisposalCase,
    DisposalMethod,
    ExecutionRecord,
    Notification,
    ReallocationApplication,
    RoutingRule,
)
from workflows.permissions import own_role_keys, role_key
from workflows.routing import finance_organization_id
from workflows.selectors import task_inbox, task_queue

# The reviewer whose pages are timed: 机关事务管理局 verifies every unit's general equipment, and REVIEWER_SHARE of the
# seeded cases are general equipment, so at N their organization holds a large share of the open review work.
REVIEWER = "jiguan_sh"
FINANCE = "caizheng_sp"  # 县财政局: approves, confirms remittances and closes for the whole county
REVIEWER_SHARE = 0.4
ASSIGNED_SHARE = 0.4  # of the open tasks are claimed already; the rest wait in their organization's queue
VISIBLE_AT_START = 100  # open tasks the reviewer sees (inbox + queue) at the first measurement
# The filtered inbox timed for the reviewer: computers (NAMES) of 5万–50万, due within 10 working days, 原值 first.
FILTERED_INBOX = {"q": "计算机", "value_band": "50k-500k", "due_within": "10", "sort": "value"}

# Where the seeded cases stand, as shares of the whole: the step of their open task, or how they ended.
STAGES = {
    "sign_off": 10,
    "verify": 12,
    "plan": 10,
    "dept_review": 8,
    "finance_approve": 4,
    "execute": 6,
    "confirm_receipt": 2,
    "record_result": 5,
    "confirm_remittance": 2,
    "close": 3,
    "closed": 18,
    "rejected": 10,
    "withdrawn": 10,
}
HUMAN_STEPS = [name for name in STAGES if name not in ("closed", "rejected", "withdrawn")]
# Whose organization each human task belongs to (checked against the flow's own nodes after the first batch).
TASK_ORGANIZATION = {
    "sign_off": "holding", "verify": "verifying", "plan": "holding", "dept_review": "verifying",
    "finance_approve": "finance", "execute": "holding", "confirm_receipt": "receiving", "record_result": "holding",
    "confirm_remittance": "finance", "close": "finance",
}  # fmt: skip
# The case's state while each human task is open.
STATE_AT = {
    "sign_off": CaseState.DRAFT, "verify": CaseState.SUBMITTED, "plan": CaseState.VERIFIED,
    "dept_review": CaseState.PLAN_SUBMITTED, "finance_approve": CaseState.PLAN_SUBMITTED,
    "execute": CaseState.PLAN_APPROVED, "confirm_receipt": CaseState.EXECUTING, "record_result": CaseState.EXECUTING,
    "confirm_remittance": CaseState.EXECUTED, "close": CaseState.EXECUTED,
}  # fmt: skip
AUDIT_ACTION = {
    "sign_off": "submit", "verify": "verify", "plan": "propose", "dept_review": "dept_review",
    "finance_approve": "finance_approve", "execute": "start_execution", "confirm_receipt": "record_execution",
    "record_result": "record_execution", "confirm_remittance": "confirm_remittance", "close": "close",
}  # fmt: skip

EQUIPMENT = ("general_equipment", "research_equipment")
EARNING = (DisposalMethod.LEASE, DisposalMethod.AUCTION, DisposalMethod.SCRAP)
NAMES = {
    "land": ("工业用地", "宗"), "mineral": ("砂石矿", "处"), "building": ("办公楼", "栋"), "rural": ("冷链仓储", "处"),
    "infrastructure": ("游客中心", "处"), "research_equipment": ("光谱分析仪", "台"),
    "public_welfare": ("闲置校舍", "栋"), "general_equipment": ("台式计算机", "台"),
}  # fmt: skip
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BATCH = 2000  # cases written per round of COPY
LEASE_DAYS = 3 * 365  # closed leases (Seeder.seed(closed_leases=True)) were executed within the last three years


# -- writing rows fast -------------------------------------------------------------------------------------------


class _Table:
    """Rows of one model, written in one statement per flush: COPY on PostgreSQL, executemany elsewhere.

    `fields` are the attnames each row gives (as a tuple in that order, or a dict); every other NOT NULL column
    gets its model default, so a field added later with a default does not break the seeder."""

    def __init__(self, model: type[models.Model], fields: list[str]):
        meta = model._meta
        self.model, self.table, self.fields = model, meta.db_table, fields
        given = [meta.get_field(name) for name in fields]
        now = timezone.now()
        extra, constants = [], []
        for f in meta.local_concrete_fields:
            if f in given or f.null or (f.primary_key and isinstance(f, models.AutoField)):
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            else:
                value = f.get_default()
            if value is None:
                raise RuntimeError(f"bench: {meta.label}.{f.name} is required and has no default; seed it.")
            extra.append(f)
            constants.append(value)
        self.columns = [f.column for f in given + extra]
        self.converters = [self._converter(f) for f in given]
        self.constants = tuple(self._constant(f, v) for f, v in zip(extra, constants, strict=True))
        self.defaults = {f.attname: (None if f.null else f.get_default()) for f in given}
        self.rows: list[tuple] = []

    @staticmethod
    def _constant(f: models.Field, value):
        if connection.vendor == "postgresql" and isinstance(f, models.JSONField):
            return json.dumps(value)
        return f.get_db_prep_save(value, connection)

    @staticmethod
    def _converter(f: models.Field) -> Callable | None:
        if connection.vendor == "postgresql":
            return json.dumps if isinstance(f, models.JSONField) else None
        if isinstance(f, models.DateField | models.DecimalField | models.JSONField):  # DateTimeField is a DateField
            return lambda value: f.get_db_prep_save(value, connection)
        return None

    def add(self, row: tuple | dict) -> None:
        if isinstance(row, dict):
            defaults = self.defaults
            row = tuple(row.get(name, defaults[name]) for name in self.fields)
        self.rows.append(row)

    def _ready(self, rows: list[tuple]) -> Iterable[tuple]:
        converters = [(i, c) for i, c in enumerate(self.converters) if c is not None]
        for row in rows:
            if converters:
                row = list(row)
                for i, convert in converters:
                    if row[i] is not None:
                        row[i] = convert(row[i])
            yield (*row, *self.constants)

    def flush(self) -> int:
        rows, self.rows = self.rows, []
        if not rows:
            return 0
        qn = connection.ops.quote_name
        columns = ", ".join(qn(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {qn(self.table)} ({columns}) FROM STDIN") as copy:
                    for row in self._ready(rows):
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {qn(self.table)} ({columns}) VALUES ({marks})"
                cursor.executemany(sql, list(self._ready(rows)))
        return len(rows)


AUDIT_FIELDS = [
    "at", "actor_id", "organization_id", "role", "action", "case_id", "asset_id", "from_state", "to_state", "data",
    "seq", "prev_hash", "hash",
]  # fmt: skip


class AuditChain:
    """Links seeded audit rows exactly as `AuditEvent.save` does (gap-free seq, the previous hash, its own hash), so
    a seeded trail passes `verify_audit` like a real one. Call `save` in the transaction that writes the rows."""

    def __init__(self):
        head = AuditChainHead.objects.select_for_update().get_or_create(pk=1)[0]
        self.seq, self.hash = head.seq, head.hash

    def link(self, at, actor_id, organization_id, role, action, case_id, asset_id, from_state, to_state, data) -> tuple:
        self.seq += 1
        content = audit_content(
            seq=self.seq, prev_hash=self.hash, at=at, actor=actor_id, acting_for=None, organization=organization_id,
            role=role, action=action, case=case_id, asset=asset_id, from_state=from_state, to_state=to_state,
            data=data, ip=None,
        )  # fmt: skip
        digest = audit_hash(content)
        row = (at, actor_id, organization_id, role, action, case_id, asset_id, from_state, to_state, data, self.seq,
               self.hash, digest)  # fmt: skip
        self.hash = digest
        return row

    def save(self) -> None:
        AuditChainHead.objects.filter(pk=1).update(seq=self.seq, hash=self.hash)


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1


# -- the county the cases belong to --------------------------------------------------------------------------------


@dataclass
class County:
    holding: list[Organization]
    finance_of: dict[int, int]  # holding unit → 县财政局 or, for county enterprises, 国资中心
    users: dict[str, list[int]]  # "role@organization" key → active users holding it
    kinds: list[tuple[Category, CategorySubtype | None, int]]  # (category, sub-type, lead department)
    reviewer_kinds: list[tuple[Category, CategorySubtype | None, int]]
    rules: list[RoutingRule]

    @property
    def lease_kinds(self) -> list[tuple[Category, CategorySubtype | None, int]]:
        """What the seeder leases: land, buildings and the like, never equipment (as in Seeder._case)."""
        return [k for k in self.kinds + self.reviewer_kinds if k[0].code not in EQUIPMENT]

    @classmethod
    def load(cls, reviewer: User) -> "County":
        users: dict[str, list[int]] = {}
        for user in User.objects.filter(is_active=True).prefetch_related("groups"):
            for key in own_role_keys(user):
                users.setdefault(key, []).append(user.pk)
        holding = [
            org
            for org in Organization.objects.filter(is_active=True).order_by("pk")
            if role_key(Role.UNIT_CLERK, org.pk) in users and role_key(Role.UNIT_HEAD, org.pk) in users
            and org.kind in HOLDING_KINDS
        ]  # fmt: skip
        if len(holding) < 2:
            raise RuntimeError("bench: the county needs at least two holding units with a clerk and a head.")
        finance_of = {}
        for org in holding:
            finance_of[org.pk] = finance_organization_id(DisposalCase(holding_unit=org))
        kinds = []
        for category in Category.objects.select_related("lead_department").order_by("sort_order"):
            subtypes = list(category.subtypes.order_by("sort_order"))
            choices = subtypes if category.subtype_required else [None, *subtypes]
            for subtype in choices:
                lead = subtype.lead_department_id if subtype else None
                kinds.append((category, subtype, lead or category.lead_department_id))
        reviewer_org = reviewer.organization_id
        mine = [k for k in kinds if k[2] == reviewer_org]
        others = [k for k in kinds if k[2] != reviewer_org]
        if not mine:
            raise RuntimeError(f"bench: {reviewer} verifies no category.")
        return cls(holding, finance_of, users, others, mine, list(RoutingRule.objects.filter(is_active=True)))


# -- the seeder ----------------------------------------------------------------------------------------------------


def _money(value: float) -> Decimal:
    return Decimal(round(value, 2)).quantize(Decimal("0.01"))


@dataclass
class Seeded:
    cases: int = 0
    rows: int = 0
    seconds: float = 0.0


class Seeder:
    """Writes cases in bulk; every call continues the same spread (a cycle of STAGES, shuffled once)."""

    def __init__(self, county: County, *, seed: int):
        self.county, self.rng = county, random.Random(seed)
        cycle = [stage for stage, weight in STAGES.items() for _ in range(weight)]
        self.rng.shuffle(cycle)
        self.cycle, self.counter = cycle, 0
        self.total = Seeded()
        self.flow_ref = get_flow_ref(DisposalFlow)
        self.nodes = {name: getattr(DisposalFlow, name) for name in _all_node_names()}
        self.refs = {name: get_task_ref(node) for name, node in self.nodes.items()}
        self.types = {name: node.task_type for name, node in self.nodes.items()}
        self.due_cache: dict[tuple[str, datetime.date], datetime.date] = {}
        self.checked = False
        self.closed_leases = False

    def seed(self, count: int, *, closed_leases: bool = False) -> None:
        """`count` more cases; with `closed_leases`, each a lease closed (销号) over the last LEASE_DAYS, the spread of
        the other calls left where it was (`bench supervision` gives them their contracts)."""
        started = time.perf_counter()
        self.now = timezone.now()
        self.closed_leases = closed_leases
        self.ids = {"asset": _next_id(Asset), "case": _next_id(Process), "task": _next_id(Task)}
        done = 0
        while done < count:
            n = min(BATCH, count - done)
            with transaction.atomic():
                # Re-read each time: the pages and steps timed between calls append events of their own.
                self.chain = AuditChain()
                self.total.rows += self._batch(n)
                self.chain.save()
            done += n
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Asset, Process, Task]):
                    cursor.execute(sql)
        if not self.checked:
            self._check_against_flow()
            self.checked = True
        self.total.cases += count
        self.total.seconds += time.perf_counter() - started

    def _batch(self, count: int) -> int:
        self.t = {
            "asset": _Table(Asset, [
                "id", "code", "name", "category_id", "subtype_id", "holding_unit_id", "unit_of_measure", "area_m2",
                "original_value", "net_value", "acquired_on", "address", "usage_status", "idle_since", "idle_reason",
                "status", "created_by_id", "created_at", "updated_at",
            ]),
            "attachment": _Table(AssetAttachment, [
                "asset_id", "kind", "file", "original_name", "content_type", "size", "sha256", "uploaded_by_id",
                "uploaded_at",
            ]),
            "process": _Table(Process, ["id", "flow_class", "status", "created", "finished"]),
            "case": _Table(DisposalCase, CASE_FIELDS),
            "task": _Table(Task, [
                "id", "process_id", "flow_task", "flow_task_type", "status", "created", "started", "finished",
                "owner_id", "owner_permission",
            ]),
            "previous": _Table(Task.previous.through, ["from_task_id", "to_task_id"]),
            "execution": _Table(ExecutionRecord, EXECUTION_FIELDS),
            "application": _Table(
                ReallocationApplication, ["case_id", "unit_id", "applicant_id", "reason", "applied_at"]
            ),
            "notification": _Table(Notification, ["user_id", "case_id", "message", "created_at", "read_at"]),
            "audit": _Table(AuditEvent, AUDIT_FIELDS),
        }  # fmt: skip
        for _ in range(count):
            self._case()
        return sum(table.flush() for table in self.t.values())

    # -- one case ------------------------------------------------------------------------------------------------

    def _user(self, key: str) -> int:
        return self.rng.choice(self.county.users[key])

    def _due(self, step: str, day: datetime.date) -> datetime.date:
        key = (step, day)
        if key not in self.due_cache:
            self.due_cache[key] = step_due_on(step, day)
        return self.due_cache[key]

    def _case(self) -> None:
        rng, county = self.rng, self.county
        if self.closed_leases:
            stage = "closed"
            category, subtype, department = rng.choice(county.lease_kinds)
        else:
            stage = self.cycle[self.counter % len(self.cycle)]
            self.counter += 1
            category, subtype, department = rng.choice(
                county.reviewer_kinds if rng.random() < REVIEWER_SHARE else county.kinds
            )
        unit = rng.choice(county.holding)
        receiving = rng.choice([u for u in county.holding if u.pk != unit.pk])
        equipment = category.code in EQUIPMENT
        value = _money(rng.uniform(2_000, 400_000) if equipment else rng.uniform(100_000, 3_000_000))
        if equipment:
            method = rng.choices(
                [DisposalMethod.REALLOCATE, DisposalMethod.SCRAP, DisposalMethod.AUCTION], [35, 35, 30]
            )[0]
        else:
            method = rng.choices(
                [DisposalMethod.REALLOCATE, DisposalMethod.LEASE, DisposalMethod.AUCTION], [20, 50, 30]
            )[0]
        if self.closed_leases:
            method = DisposalMethod.LEASE
        elif stage == "confirm_receipt":
            method = DisposalMethod.REALLOCATE
        elif stage in ("record_result", "confirm_remittance") and method == DisposalMethod.REALLOCATE:
            method = DisposalMethod.SCRAP if equipment else DisposalMethod.LEASE
        needs_finance = _needs_finance(category.code, method, value)
        if stage == "finance_approve" and not needs_finance:
            method, needs_finance = DisposalMethod.AUCTION, True
        basis = rng.choices([Basis.IDLE, Basis.LOW_EFFICIENCY, Basis.OVER_STANDARD], [60, 25, 15])[0]

        path = _path(method, needs_finance)
        if stage in HUMAN_STEPS:
            nodes, open_step = path[: path.index(stage) + 1], stage
        elif stage == "closed":
            nodes, open_step = path, None
        elif stage == "rejected":
            nodes, open_step = ["start", "sign_off", "verify", "after_verify", "rejected"], None
        else:
            at = rng.choice(["sign_off", "verify", "plan"])
            nodes, open_step = path[: path.index(at) + 1], None
        humans = [n for n in nodes if n in TASK_ORGANIZATION]
        durations = {n: datetime.timedelta(days=rng.uniform(0.3, 10)) for n in humans}
        worked = sum((d for n, d in durations.items() if n != open_step), datetime.timedelta())
        if open_step:
            start = self.now - worked - datetime.timedelta(days=rng.uniform(0, 20))
        else:
            start = (
                self.now - worked - datetime.timedelta(days=rng.uniform(2, LEASE_DAYS if self.closed_leases else 500))
            )

        case_id, asset_id = self.ids["case"], self.ids["asset"]
        self.ids["case"] += 1
        self.ids["asset"] += 1
        orgs = {
            "holding": unit.pk,
            "verifying": department,
            "receiving": receiving.pk,
            "finance": county.finance_of[unit.pk],
        }
        clerk = self._user(role_key(Role.UNIT_CLERK, unit.pk))
        name, measure = NAMES.get(category.code, ("资产", "项"))
        code = f"BENCH-{case_id:07d}"
        case = {
            "process_ptr_id": case_id, "asset_id": asset_id, "holding_unit_id": unit.pk,
            "verifying_department_id": department, "basis": basis, "statement": "停用已久，经单位研究拟盘活。",
            "reported_by_id": clerk, "state": CaseState.DRAFT,
        }  # fmt: skip
        amount = _money(float(value) * {"lease": 0.05, "auction": 0.8, "scrap": 0.02}.get(method, 0) + 10)
        plan = {"stage": stage, "method": method, "needs_finance": needs_finance, "amount": amount, "orgs": orgs,
                "value": value}  # fmt: skip

        # The tasks in order, with what each done step wrote on the case.
        t = start
        previous_task = None
        state = CaseState.DRAFT
        self.t["audit"].add(
            self.chain.link(
                start, clerk, unit.pk, Role.UNIT_CLERK, "report", case_id, asset_id, "", CaseState.DRAFT, {}
            )
        )
        for n in nodes:
            task_id = self.ids["task"]
            self.ids["task"] += 1
            kind = self.types[n]
            owner = permission = started = finished = None
            status = STATUS.DONE
            created = t
            if n in TASK_ORGANIZATION:
                role = self.nodes[n].role
                org = orgs[TASK_ORGANIZATION[n]]
                permission = role_key(role, org)
                if n == open_step:
                    status = STATUS.ASSIGNED if rng.random() < ASSIGNED_SHARE else STATUS.NEW
                    owner = self._user(permission) if status == STATUS.ASSIGNED else None
                    case["current_step"] = self.nodes[n].step
                    case["step_due_on"] = self._due(self.nodes[n].step, timezone.localtime(created).date())
                    case["state"] = STATE_AT[n]
                else:
                    owner = self._user(permission)
                    finished = t + durations[n]
                    started = finished - datetime.timedelta(minutes=rng.uniform(1, 30))
                    t = finished
                    if stage == "withdrawn" and n == nodes[-1]:
                        status, owner, started = STATUS.CANCELED, None, None
                    else:
                        state = self._done(n, case, owner, finished, plan)
                        action = "reject" if state == CaseState.REJECTED else AUDIT_ACTION[n]
                        self.t["audit"].add(self.chain.link(finished, owner, org, role, action, case_id, asset_id,
                                                            STATE_AT[n], state, {}))  # fmt: skip
                for user in self.county.users.get(permission, []):
                    self.t["notification"].add(
                        (user, case_id, f"待办：{self.nodes[n].task_title}：{code}", created, finished)
                    )
            elif kind in ("START", "END"):
                started = finished = t
            else:
                finished = t
            self.t["task"].add((task_id, case_id, self.refs[n], kind, status, created, started, finished, owner,
                                permission))  # fmt: skip
            if previous_task is not None:
                self.t["previous"].add((task_id, previous_task))
            previous_task = task_id
            t += datetime.timedelta(milliseconds=3)

        if stage == "closed":
            case.update(state=CaseState.CLOSED, current_step="", step_due_on=None)
        elif stage == "rejected":
            case.update(state=CaseState.REJECTED, current_step="", step_due_on=None)
        elif stage == "withdrawn":
            case.update(state=CaseState.WITHDRAWN, current_step="", step_due_on=None)
            self.t["audit"].add(self.chain.link(t, clerk, unit.pk, Role.UNIT_CLERK, "withdraw", case_id, asset_id,
                                                state, CaseState.WITHDRAWN, {}))  # fmt: skip
        process_status = {"closed": PROCESS.DONE, "rejected": PROCESS.DONE, "withdrawn": PROCESS.CANCELED}
        ended = stage in process_status
        self.t["process"].add(
            (case_id, self.flow_ref, process_status.get(stage, PROCESS.NEW), start, t if ended else None)
        )
        self.t["case"].add(case)

        # The asset: in the case while it is open; afterwards where its method put it.
        holder, status = unit.pk, AssetStatus.IN_CASE
        if stage == "closed":
            status = {
                DisposalMethod.REALLOCATE: AssetStatus.IN_USE,
                DisposalMethod.LEASE: AssetStatus.REVITALIZED,
            }.get(method, AssetStatus.DISPOSED)
            if method == DisposalMethod.REALLOCATE:
                holder = receiving.pk
        elif stage in ("rejected", "withdrawn"):
            status = AssetStatus.IN_USE
        usage = {
            Basis.IDLE: UsageStatus.IDLE,
            Basis.LOW_EFFICIENCY: UsageStatus.LOW_EFFICIENCY,
            Basis.OVER_STANDARD: UsageStatus.OVER_STANDARD,
        }[basis]
        reported = timezone.localtime(start).date()
        idle_since = reported - datetime.timedelta(days=rng.randint(220, 1100)) if basis == Basis.IDLE else None
        acquired = datetime.date(rng.randint(2000, 2015), rng.randint(1, 12), rng.randint(1, 28))
        area = _money(rng.uniform(80, 20_000)) if category.area_required else None
        self.t["asset"].add((
            asset_id, code, f"{name}{case_id % 97 + 1}号", category.pk, subtype.pk if subtype else None, holder,
            measure, area, value, _money(float(value) * rng.uniform(0.05, 0.9)), acquired, "茂县凤仪镇", usage,
            idle_since, "单位撤并后停用" if idle_since else "", status, clerk, start, t,
        ))  # fmt: skip
        if basis == Basis.IDLE:
            for kind in (AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES):
                self.t["attachment"].add((asset_id, kind, f"bench/{kind}.pdf", f"{kind}.pdf", "application/pdf",
                                          len(PDF), "0" * 64, clerk, start))  # fmt: skip

    def _done(self, n: str, case: dict, owner: int, at: datetime.datetime, plan: dict) -> str:
        """Writes on the case what completing step `n` writes, and returns the state it leaves the case in."""
        stage, method, needs_finance, amount = plan["stage"], plan["method"], plan["needs_finance"], plan["amount"]
        orgs, value = plan["orgs"], plan["value"]
        if n == "sign_off":
            case.update(submitted_by_id=owner, submitted_at=at)
            return CaseState.SUBMITTED
        if n == "verify":
            case.update(verified_by_id=owner, verified_at=at, verification_opinion="经现场核查，情况属实。")
            if stage == "rejected":
                case["verification_opinion"] = "不符合认定条件。"
                return CaseState.REJECTED
            case["listed_until"] = timezone.localtime(at).date() + datetime.timedelta(days=15)
            return CaseState.VERIFIED
        if n == "plan":
            routing = _routing(self.county.rules, method, value)
            case.update(
                method=method,
                plan_summary="按一资产一策拟定处置方案。",
                plan_submitted_at=at,
                plan_proposed_by_id=owner,
                routing=routing,
                needs_finance=needs_finance,
                needs_collective_decision=routing["needs_collective_decision"],
                justification="" if method == DisposalMethod.REALLOCATE else "公示期满，无单位申请调剂。",
            )
            if method == DisposalMethod.REALLOCATE:
                case["receiving_unit_id"] = orgs["receiving"]
                clerk = self._user(role_key(Role.UNIT_CLERK, orgs["receiving"]))
                self.t["application"].add((case["process_ptr_id"], orgs["receiving"], clerk, "本单位急需。", at))
            return CaseState.PLAN_SUBMITTED
        if n == "dept_review":
            case["dept_approved_by_id"] = owner
            if needs_finance:
                return CaseState.PLAN_SUBMITTED
            case["approved_at"] = at
            return CaseState.PLAN_APPROVED
        if n == "finance_approve":
            case.update(finance_approved_by_id=owner, approved_at=at)
            return CaseState.PLAN_APPROVED
        if n == "execute":
            if method == DisposalMethod.REALLOCATE:
                self._execution(case["process_ptr_id"], method, at, amount)
            return CaseState.EXECUTING
        if n in ("confirm_receipt", "record_result"):
            case["executed_at"] = at
            if method == DisposalMethod.REALLOCATE:
                case["receipt_confirmed_by_id"] = owner
            else:
                case.update(
                    execution_recorded_by_id=owner,
                    amount_due=amount,
                    amount_received=amount,
                    amount_remitted=amount,
                    remittance_receipt_no=f"川财缴{case['process_ptr_id']:07d}",
                )
                self._execution(case["process_ptr_id"], method, at, amount)
            return CaseState.EXECUTED
        if n == "confirm_remittance":
            case.update(remittance_confirmed_by_id=owner, remittance_confirmed_at=at)
            return CaseState.EXECUTED
        if n == "close":
            case.update(closed_by_id=owner, closed_at=at)
            return CaseState.CLOSED
        raise ValueError(n)

    def _execution(self, case_id: int, method: str, at: datetime.datetime, amount: Decimal) -> None:
        day = timezone.localtime(at).date()
        record = {"case_id": case_id}
        if method == DisposalMethod.REALLOCATE:
            record.update(handover_on=day, handover_list="资产一项及其附件")
        elif method == DisposalMethod.LEASE:
            ends = day + datetime.timedelta(days=3 * 365)
            record.update(reserve_rent=amount, tender_result="公开招租", lessee="茂县某公司", lease_starts_on=day,
                          lease_ends_on=ends, annual_rent=amount, contract_no="ZL-1")  # fmt: skip
        elif method == DisposalMethod.AUCTION:
            record.update(appraisal_report_no="评报-1", appraisal_value=amount, appraisal_date=day, venue="交易中心",
                          reserve_price=amount, winning_bid=amount, buyer="某公司", deal_on=day)  # fmt: skip
        else:
            record.update(recycler="再生资源回收站", residual_value=amount)
        self.t["execution"].add(record)

    def _check_against_flow(self) -> None:
        """Each seeded open task's key and the case's current step are what the flow's node computes."""
        seen = set()
        tasks = Task.objects.filter(flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]).order_by("pk")
        for task in tasks[:2000]:
            node = task.flow_task
            if node.name in seen:
                continue
            seen.add(node.name)
            case = DisposalCase.objects.select_related("holding_unit").get(pk=task.process_id)
            expected = role_key(node.role, node.organization_of(case))
            if task.owner_permission != expected or case.current_step != node.step:
                raise RuntimeError(
                    f"bench: seeded {node.name} task has {task.owner_permission} / step {case.current_step}, "
                    f"the flow computes {expected} / {node.step}: update bench/workflows.py."
                )


CASE_FIELDS = [
    "process_ptr_id", "asset_id", "holding_unit_id", "verifying_department_id", "state", "basis", "statement",
    "reported_by_id", "submitted_by_id", "submitted_at", "verified_by_id", "verified_at", "verification_opinion",
    "listed_until", "method", "plan_summary", "justification", "receiving_unit_id", "plan_submitted_at", "routing",
    "needs_finance", "needs_collective_decision", "dept_approved_by_id", "finance_approved_by_id", "approved_at",
    "amount_due", "amount_received", "amount_remitted", "remittance_receipt_no", "execution_recorded_by_id",
    "executed_at", "receipt_confirmed_by_id", "remittance_confirmed_by_id", "remittance_confirmed_at", "closed_by_id",
    "closed_at", "plan_proposed_by_id", "current_step", "step_due_on",
]  # fmt: skip
EXECUTION_FIELDS = [
    "case_id", "handover_on", "handover_list", "reserve_rent", "tender_result", "lessee", "lease_starts_on",
    "lease_ends_on", "annual_rent", "contract_no", "appraisal_report_no", "appraisal_value", "appraisal_date", "venue",
    "reserve_price", "winning_bid", "buyer", "deal_on", "recycler", "residual_value",
]  # fmt: skip


def _all_node_names() -> list[str]:
    return [*HUMAN_STEPS, "start", "after_verify", "after_dept_review", "after_finance_approve", "after_execute",
            "after_result", "rejected", "end"]  # fmt: skip


def _path(method: str, needs_finance: bool) -> list[str]:
    """The nodes a case goes through from report to 销号 when nothing is returned."""
    path = ["start", "sign_off", "verify", "after_verify", "plan", "dept_review", "after_dept_review"]
    if needs_finance:
        path += ["finance_approve", "after_finance_approve"]
    path += ["execute", "after_execute"]
    path += ["confirm_receipt" if method == DisposalMethod.REALLOCATE else "record_result", "after_result"]
    if method in EARNING:
        path.append("confirm_remittance")
    return [*path, "close", "end"]


def _needs_finance(category: str, method: str, value: Decimal) -> bool:
    return category in ("land", "building") or method == DisposalMethod.AUCTION or value >= 500_000


def _routing(rules: list[RoutingRule], method: str, value: Decimal) -> dict:
    matched = [r for r in rules if r.method in ("", method) and (r.min_value is None or value >= r.min_value)]
    return {
        "item_value": str(value),
        "batch_value": str(value),
        "rules": [r.snapshot() for r in matched],
        "needs_finance": any(r.requires_finance for r in matched),
        "needs_collective_decision": any(r.requires_collective_decision for r in matched),
    }


# -- measuring -----------------------------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    inbox: int = 0  # pages: the user's open tasks when measured
    queue: int = 0
    cases: int = 0
    note: str = ""

    @property
    def median_ms(self) -> float:
        s = sorted(self.seconds)
        mid = len(s) // 2
        return 1000 * (s[mid] if len(s) % 2 else (s[mid - 1] + s[mid]) / 2)

    @property
    def p95_ms(self) -> float:
        s = sorted(self.seconds)
        return 1000 * s[max(0, ceil(0.95 * len(s)) - 1)]

    @property
    def query_range(self) -> str:
        if not self.queries:
            return "–"
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}–{high}"


def _timed(call: Callable, *args, **kwargs):
    connection.queries_log.clear()  # it keeps the last 9,000 only, which would make later counts read 0
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        response = call(*args, **kwargs)
        elapsed = time.perf_counter() - started
    return elapsed, len(ctx.captured_queries), response


def measure_pages(user: User, *, label: str, requests: int, cases: int, filtered: bool = False) -> list[Timing]:
    """The first page of the user's inbox and queue (and, `filtered`, of the inbox with FILTERED_INBOX): one request
    counted, then `requests` timed after a warm-up."""
    client = Client()
    client.force_login(user)
    fresh = User.objects.get(pk=user.pk)
    inbox, queue = task_inbox(user=fresh).count(), task_queue(user=fresh).count()
    out = []
    pages = [("inbox", reverse("cases:inbox")), ("queue", reverse("cases:queue"))]
    if filtered:
        # The inbox as a reviewer narrows it (issue 12 §4): a search, a 原值 band, a deadline window and a sort.
        pages.append(("inbox filtered", f"{reverse('cases:inbox')}?{urlencode(FILTERED_INBOX)}"))
    for kind, url in pages:
        timing = Timing(f"{label} {kind}", inbox=inbox, queue=queue, cases=cases)
        for _ in range(3):
            _check(client.get(url), 200, url)
        _, timing.queries, _ = _timed(client.get, url)
        timing.queries = [timing.queries]
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url)
            timing.seconds.append(time.perf_counter() - started)
            _check(response, 200, url)
        out.append(timing)
    return out


def _check(response, status: int, url: str) -> None:
    if response.status_code != status:
        text = response.content.decode(errors="replace")
        start = text.find("ph-errorlist")
        detail = text[start : start + 600] if start >= 0 else text[:600]
        raise RuntimeError(f"bench: {url} answered {response.status_code}, expected {status}: {detail}")


def _upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def _lease_terms(today: datetime.date) -> dict:
    """A lease's approved terms (招租方式, 底价, 租期), the same in its plan and its execution."""
    ends = today.replace(year=today.year + 3) if not (today.month == 2 and today.day == 29) else today
    return {"lease_procedure": "公开招租", "reserve_rent": "48000", "lease_starts_on": today.isoformat(),
            "lease_ends_on": ends.isoformat()}  # fmt: skip


def _form(step: str, case: DisposalCase) -> dict:
    """What the person at this step submits (with the evidence a real one attaches)."""
    today = timezone.localdate()
    if step == "sign_off":
        return {"opinion": "同意申报"}
    if step == "verify":
        return {"decision": "verify", "opinion": "经现场核查，情况属实。", "record": _upload("核查记录.pdf")}
    if step == "plan":
        # The plan carries its method's key terms (what execution may not change without a new approval), and an
        # early scrap its 技术鉴定意见 and 提前报废说明, as a clerk fills them in (workflows.forms.PlanForm).
        if case.asset.category.code in EQUIPMENT:
            scrap = {"method": "scrap", "summary": "已超使用年限，报废处置", "minutes": _upload("会议纪要.pdf")}
            if case.scrapped_early():
                scrap |= {"technical_appraisal": "主板损坏，无维修价值", "early_scrap_explanation": "雷击损坏",
                          "technical_file": _upload("技术鉴定意见.pdf")}  # fmt: skip
            return scrap
        return {"method": "lease", "summary": "整体公开招租", "justification": "公示期满，无单位申请调剂。",
                "minutes": _upload("会议纪要.pdf"), **_lease_terms(today)}  # fmt: skip
    if step in ("dept_review", "finance_approve"):
        return {"decision": "approve", "opinion": "同意"}
    if step == "execute" and case.method == DisposalMethod.REALLOCATE:
        return {"handover_on": today.isoformat(), "handover_list": "主机一台、显示器一台"}
    if step in ("confirm_receipt", "confirm_remittance", "close"):
        return {"confirm": "on"}
    if step in ("execute", "record_result"):  # one step for every method but 调剂 (record_result: cases from before)
        money = {"received": "52000", "fees": "0", "remitted": "52000", "receipt_no": "川财缴2026-00123"}
        if case.method == DisposalMethod.LEASE:
            return money | _lease_terms(today) | {
                "tender_result": "公开招租，3家竞租", "lessee": "茂县羌韵餐饮有限公司", "annual_rent": "52000",
                "deposit": "10000", "contract_no": "MXZL-2026-018",
            }  # fmt: skip
        if case.method == DisposalMethod.AUCTION:
            return money | {
                "appraisal_report_no": "川华评报字〔2026〕第0312号", "appraisal_value": "50000",
                "appraisal_date": (today - datetime.timedelta(days=60)).isoformat(), "venue": "茂县公共资源交易中心",
                "reserve_price": "50000", "winning_bid": "52000", "buyer": "阿坝州某公司", "deal_on": today.isoformat(),
                "appraisal_file": _upload("评估报告.pdf"),
            }  # fmt: skip
        scrap = money | {"recycler": "茂县再生资源回收站", "residual_value": "52000"}
        if case.scrapped_early():
            scrap |= {"technical_appraisal": "主板损坏，无维修价值", "early_scrap_explanation": "雷击损坏",
                      "technical_file": _upload("技术鉴定意见.pdf")}  # fmt: skip
        return scrap
    raise ValueError(step)


def measure_steps(county: County, *, samples: int, seed: int, warmup: int = 1) -> tuple[list[Timing], Timing]:
    """Each step's task URL as its user clicks it: claim (POST assign), then submit (POST execute), which runs the
    step's service and moves the flow on. Sample cases are picked at random among those waiting at the step."""
    rng = random.Random(seed + 1)
    steps, claim = [], Timing("claim (认领), all steps")
    users = {u.pk: u for u in User.objects.all()}
    # One client, so the middleware is loaded once as in a running server (a new handler costs WhiteNoise's scan of
    # every static file); each sample gets a fresh session and no leftover messages.
    client = Client()
    for step in HUMAN_STEPS:
        node = getattr(DisposalFlow, step)
        timing = Timing(step, note=node.task_title)
        tasks = Task.objects.filter(flow_task=node, status=STATUS.NEW)
        if step == "plan":  # a lease or scrap plan waits for the 调剂 window to close (workflows.models, 调剂优先)
            tasks = tasks.filter(process__disposalcase__listed_until__lt=timezone.localdate())
        waiting = list(tasks.values_list("pk", "process_id", "owner_permission"))
        for n, (task_pk, case_pk, key) in enumerate(rng.sample(waiting, min(len(waiting), samples + warmup))):
            case = DisposalCase.objects.select_related("asset__category").get(pk=case_pk)
            client.cookies.clear()
            client.force_login(users[rng.choice(county.users[key])])
            claim_url = node.reverse("assign", args=[case_pk, task_pk])
            execute_url = node.reverse("execute", args=[case_pk, task_pk])
            seconds, queries, response = _timed(client.post, claim_url)
            _check(response, 302, claim_url)
            if n >= warmup:
                claim.seconds.append(seconds)
                claim.queries.append(queries)
            seconds, queries, response = _timed(client.post, execute_url, _form(step, case))
            _check(response, 302, execute_url)
            if n >= warmup:
                timing.seconds.append(seconds)
                timing.queries.append(queries)
        steps.append(timing)
    return steps, claim


# -- the run -------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    vendor: str
    database: str
    cases: int
    seeded: Seeded
    tasks: int
    human_tasks: int
    open_tasks: int
    reviewer: User
    finance: User
    pages: list[Timing]
    steps: list[Timing]
    claim: Timing
    analyzed: str  # the statement run after seeding, if any
    load: list[float]  # the 1-minute load average at each phase: other work on the machine shows in the p95s


def vendor_description() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    if connection.vendor == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    return connection.vendor


def _analyze() -> str:
    """What autovacuum does on a live database after a bulk load: without statistics PostgreSQL plans on guesses,
    and without the visibility map it cannot answer counts from an index alone."""
    if connection.vendor != "postgresql":
        return ""
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"  # VACUUM cannot run in a transaction
    with connection.cursor() as cursor:
        cursor.execute(command)
    return command


def run(*, cases: int, requests: int, samples: int, seed: int, database: str, log: Callable[[str], None]) -> Result:
    get_resolver().url_patterns  # noqa: B018 - viewflow's viewsets learn their namespace when the URLconf is built
    demo_county_load()
    people = User.objects.select_related("organization")
    reviewer, finance = people.get(username=REVIEWER), people.get(username=FINANCE)
    county = County.load(reviewer)
    seeder = Seeder(county, seed=seed)
    pages: list[Timing] = []
    load = [os.getloadavg()[0]]
    media = tempfile.mkdtemp(prefix="panhuo-bench-media-")
    try:
        # Uploaded evidence goes to a throwaway folder; the figures are those of a production configuration.
        with override_settings(MEDIA_ROOT=media, DEBUG=False, ALLOWED_HOSTS=["testserver"]):
            log(f"seeding until {reviewer.username} sees ~{VISIBLE_AT_START} open tasks…")
            while seeder.total.cases < max(cases // 2, 1):
                seeder.seed(min(25, cases - seeder.total.cases))
                fresh = User.objects.get(pk=reviewer.pk)
                if task_inbox(user=fresh).count() + task_queue(user=fresh).count() >= VISIBLE_AT_START:
                    break
            _analyze()
            gc.collect()
            log("timing the pages…")
            for who, user in (("reviewer", reviewer), ("finance", finance)):
                pages += measure_pages(
                    user, label=who, requests=requests, cases=seeder.total.cases, filtered=who == "reviewer"
                )
            load.append(os.getloadavg()[0])
            log(f"seeding up to {cases:,} cases…")
            seeder.seed(cases - seeder.total.cases)
            analyzed = _analyze()
            gc.collect()
            log("timing the pages…")
            for who, user in (("reviewer", reviewer), ("finance", finance)):
                pages += measure_pages(
                    user, label=who, requests=requests, cases=seeder.total.cases, filtered=who == "reviewer"
                )
            load.append(os.getloadavg()[0])
            log("timing each step…")
            steps, claim = measure_steps(county, samples=samples, seed=seed)
            load.append(os.getloadavg()[0])
    finally:
        shutil.rmtree(media, ignore_errors=True)
    return Result(
        vendor=vendor_description(),
        database=database,
        cases=seeder.total.cases,
        seeded=seeder.total,
        tasks=Task.objects.count(),
        human_tasks=Task.objects.filter(flow_task_type="HUMAN").count(),
        open_tasks=Task.objects.filter(flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]).count(),
        reviewer=reviewer,
        finance=finance,
        pages=pages,
        steps=steps,
        claim=claim,
        analyzed=analyzed,
        load=load,
    )


# -- where it runs ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def throwaway_database(*, keep: bool = False, name: str = "workflow") -> Iterable[str]:
    """A database of its own, migrated, for the length of the run, then dropped (kept with `keep`): the way the
    test runner makes its test database, under a name of its own so a parallel test run is not disturbed."""
    creation = connection.creation
    original = connection.settings_dict["NAME"]
    test = connection.settings_dict.setdefault("TEST", {})
    saved = test.get("NAME")
    folder = None
    if connection.vendor == "sqlite":
        folder = tempfile.mkdtemp(prefix="panhuo-bench-")
        test["NAME"] = str(Path(folder) / "bench.sqlite3")
    else:
        test["NAME"] = f"{Path(str(original)).name}_bench_{name}"
    try:
        name = creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=False)
        try:
            yield name
        finally:
            creation.destroy_test_db(original, verbosity=0, keepdb=keep)
    finally:
        test["NAME"] = saved
        if folder and not keep:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def rolled_back() -> Iterable[str]:
    """The current database, inside one transaction that is rolled back at the end (for the tests)."""
    with transaction.atomic():
        if DisposalCase.objects.exists():
            raise RuntimeError("bench: this database already holds cases; run without --in-place.")
        yield str(connection.settings_dict["NAME"])
        transaction.set_rollback(True)
