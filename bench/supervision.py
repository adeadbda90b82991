"""`bench supervision`: a county with many assets and a long trail, then the supervisors' dashboard, the monthly
report (xlsx and signed PDF) and `verify_audit` timed.

Cases come from the workflow bench's seeder (every step, department and method, with tasks and a chained trail);
the rest of the register is assets that never had a case (some idle for years, which the dashboard flags), and the
rest of the trail is the everyday events around cases (logins, claims, exports), chained like real ones. Contracts
(issue 14 §4) hang on the closed leases, the seeder closing more leases when it made too few: each with the schedule
contracts.schedule makes from its terms, payments on most installments past due (the rest in arrears), finance's
confirmation of most of those, and, once its term is over, its return (到期收回). The rent ledger's pages are timed with
the dashboard. It runs in a throwaway database (`benchmark.throwaway_database`) or, for the tests, in one rolled-back
transaction."""

import datetime
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import get_resolver, reverse
from django.utils import timezone

from assets.models import Asset, AssetStatus, Category, Role, UsageStatus, User
from assets.uscc import ALPHABET, check_character
from audit.chain import audit_chain_verify
from audit.models import AuditEvent
from contracts import schedule
from contracts.models import (
    Contract,
    ContractEnd,
    ContractState,
    DepositOutcome,
    EndKind,
    Installment,
    Payment,
    ReturnOutcome,
)
from demo.county import demo_county_load
from documents.models import Document, DocumentStatus
from documents.services import document_issue
from supervision.models import SupervisionReport
from workflows import methods
from workflows.models import CaseState, DisposalCase, ExecutionRecord
from workflows.permissions import role_key

from .workflows import BATCH, REVIEWER, AuditChain, County, Seeder, _money, _next_id, _Table, vendor_description

SUPERVISOR = "shenji_jd"  # 县审计局: reads the whole county
CASE_SHARE = 0.3  # of the assets went through (or are in) a disposal case
DASHBOARD_TARGET_S = 1.0
VERIFY_TARGET_S = 30.0
EVERYDAY = ["login", "login", "login", "claim", "release", "export"]
# The contracts' terms: a payment cycle (by weight), 1–5 years, a yearly rent step; what is paid of what fell due.
CYCLES = {schedule.YEARLY: 30, schedule.QUARTERLY: 40, schedule.MONTHLY: 30}
STEPS = [Decimal(0), Decimal(0), Decimal(3), Decimal(5)]
PAID_SHARE = 0.85  # of the installments past due are paid (PARTIAL_SHARE of those in part); the rest are in arrears
PARTIAL_SHARE = 0.05
CONFIRMED_SHARE = 0.7  # of the payments finance confirmed (上缴), a few days to weeks after they came in
IDLE_AGAIN_SHARE = 0.1  # of the contracts returned (到期收回) leave the asset idle again (再度闲置)
PLACES = ["凤仪", "南新", "叠溪", "沙坝", "黑虎", "回龙", "土门", "较场"]
TRADES = ["商贸", "文旅", "农业开发", "物流", "餐饮管理", "建材", "羌绣文化", "康养"]
LEDGER_TARGET_S = 1.0


@dataclass
class Timing:
    label: str
    seconds: list[float] = field(default_factory=list)
    queries: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def worst(self) -> float:
        return max(self.seconds)


@dataclass
class Result:
    vendor: str
    database: str
    assets: int
    cases: int
    events: int
    contracts: int
    installments: int
    payments: int
    seed_seconds: float
    timings: list[Timing]
    verify_seconds: float
    verified: int
    verify_broken: str
    report_pdf_bytes: int
    load: list[float]


def _fill_register(county: County, count: int, rng: random.Random, log) -> None:
    """Assets that never had a case: most in use, some idle or low-efficiency, a share idle for over a year."""
    categories = list(Category.objects.order_by("sort_order"))
    clerks = {org.pk: county.users[f"panhuo.unit_clerk@{org.pk}"][0] for org in county.holding}
    now = timezone.now()
    today = timezone.localdate()
    next_id = _next_id(Asset)
    done = 0
    while done < count:
        n = min(BATCH * 10, count - done)
        table = _Table(Asset, [
            "id", "code", "name", "category_id", "subtype_id", "holding_unit_id", "unit_of_measure", "area_m2",
            "original_value", "net_value", "acquired_on", "address", "usage_status", "idle_since", "idle_reason",
            "status", "created_by_id", "created_at", "updated_at",
        ])  # fmt: skip
        for _ in range(n):
            category = rng.choice(categories)
            subtype = rng.choice(list(category.subtypes.all())) if category.subtype_required else None
            unit = rng.choice(county.holding)
            usage = rng.choices(
                [UsageStatus.NORMAL, UsageStatus.IDLE, UsageStatus.LOW_EFFICIENCY, UsageStatus.OVER_STANDARD],
                [70, 20, 7, 3],
            )[0]
            idle_since = today - datetime.timedelta(days=rng.randint(30, 1500)) if usage == UsageStatus.IDLE else None
            value = _money(rng.uniform(2_000, 3_000_000))
            area = _money(rng.uniform(80, 20_000)) if category.area_required else None
            table.add((
                next_id, f"BENCH-A{next_id:08d}", f"{category.name}{next_id % 89 + 1}号", category.pk,
                subtype.pk if subtype else None, unit.pk, "项", area, value, _money(float(value) * 0.4),
                datetime.date(rng.randint(1995, 2020), rng.randint(1, 12), rng.randint(1, 28)), "茂县凤仪镇", usage,
                idle_since, "单位撤并后停用" if idle_since else "", AssetStatus.IN_USE, clerks[unit.pk], now, now,
            ))  # fmt: skip
            next_id += 1
        with transaction.atomic():
            table.flush()
        done += n
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Asset]):
                cursor.execute(sql)
    log(f"  register filled: {Asset.objects.count():,} assets")


CONTRACT_METHODS = [m.code for m in methods.all_methods() if m.contract is not None]


def _lease_cases(contracts: int, seeder: Seeder, log) -> None:
    """Closed cases enough for `contracts` contracts: those of the seeded ones whose method runs over time, and more
    closed leases from the seeder for the rest (each with its tasks, its trail and its asset)."""
    closed = DisposalCase.objects.filter(state=CaseState.CLOSED, method__in=CONTRACT_METHODS).count()
    if contracts > closed:
        log(f"seeding {contracts - closed:,} more closed leases for the contracts…")
        seeder.seed(contracts - closed, closed_leases=True)


def _counterparty(rng: random.Random) -> tuple[str, str]:
    """A lessee and a valid 统一社会信用代码 (茂县 513223, GB 32100-2015 check character)."""
    body = "91513223" + "".join(rng.choice(ALPHABET) for _ in range(9))
    return f"茂县{rng.choice(PLACES)}{rng.choice(TRADES)}有限公司", body + check_character(body)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _fill_contracts(county: County, count: int, rng: random.Random, log) -> None:
    """A contract on each of `count` closed leases, starting on its execution day, with its schedule
    (contracts.schedule.payment_schedule), payments on most installments past due, finance's confirmation of most
    payments, and the return of those whose term is over; the execution records then say the contracts' terms."""
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    cases = list(
        DisposalCase.objects.filter(state=CaseState.CLOSED, method__in=CONTRACT_METHODS, contracts__isnull=True)
        .order_by("pk")
        .values_list("pk", "asset_id", "holding_unit_id", "method", "executed_at", "closed_at", "amount_due")[:count]
    )
    if len(cases) < count:
        raise RuntimeError(f"bench: {len(cases):,} closed leases for {count:,} contracts.")
    clerks = {org.pk: county.users[role_key(Role.UNIT_CLERK, org.pk)] for org in county.holding}
    finance = {org.pk: county.users[role_key(Role.FINANCE_APPROVER, county.finance_of[org.pk])]
               for org in county.holding}  # fmt: skip
    cycles, weights = list(CYCLES), list(CYCLES.values())
    contract_id, installment_id = _next_id(Contract), _next_id(Installment)
    returned, idle_again = [], []
    for begin in range(0, count, BATCH):
        t = {
            "contract": _Table(Contract, [
                "id", "case_id", "asset_id", "holding_unit_id", "method", "counterparty", "counterparty_code",
                "starts_on", "ends_on", "cycle", "annual_amount", "step_percent", "deposit", "number", "version",
                "state", "created_at",
            ]),
            "installment": _Table(Installment, ["id", "contract_id", "sequence", "due_on", "period_ends_on", "amount",
                                                "paid"]),
            "payment": _Table(Payment, [
                "installment_id", "contract_id", "amount", "paid_on", "receipt_no", "recorded_by_id", "recorded_at",
                "confirmed_by_id", "confirmed_at", "nontax_receipt_no",
            ]),
            "end": _Table(ContractEnd, ["contract_id", "kind", "returned_on", "condition", "outcome", "idle_reason",
                                        "deposit_outcome", "recorded_by_id", "recorded_at"]),
        }  # fmt: skip
        for case_id, asset_id, unit_id, method, executed_at, closed_at, annual in cases[begin : begin + BATCH]:
            starts_on = timezone.localdate(executed_at)
            ends_on = starts_on + relativedelta(years=rng.randint(1, 5)) - datetime.timedelta(days=1)
            cycle, step = rng.choices(cycles, weights)[0], rng.choice(STEPS)
            deposit = _money(float(annual) / 4) if rng.random() < 0.6 else None
            over = ends_on < today
            lessee, code = _counterparty(rng)
            clerk = rng.choice(clerks[unit_id])
            t["contract"].add((
                contract_id, case_id, asset_id, unit_id, method, lessee, code, starts_on, ends_on, cycle, annual,
                step, deposit, f"ZL-{starts_on.year}-{contract_id:06d}", 1,
                ContractState.RETURNED if over else ContractState.ACTIVE, closed_at,
            ))  # fmt: skip
            dues = schedule.payment_schedule(starts_on=starts_on, ends_on=ends_on, cycle=cycle, annual=annual,
                                             step_percent=step)  # fmt: skip
            for due in dues:
                paid = Decimal(0)
                if due.due_on < today and rng.random() < PAID_SHARE:
                    paid = _money(float(due.amount) / 2) if rng.random() < PARTIAL_SHARE else due.amount
                    # Received by yesterday, confirmed a few days to weeks later if that is past too.
                    paid_on = min(due.due_on + datetime.timedelta(days=rng.randint(0, 15)), yesterday)
                    confirmed_on = paid_on + datetime.timedelta(days=rng.randint(1, 20))
                    confirmed = None
                    if confirmed_on < today and rng.random() < CONFIRMED_SHARE:
                        confirmed = _at(confirmed_on, 10)
                    t["payment"].add((
                        installment_id, contract_id, paid, paid_on, f"SK{installment_id:010d}", clerk, _at(paid_on, 16),
                        rng.choice(finance[unit_id]) if confirmed else None, confirmed,
                        f"5100{installment_id:012d}" if confirmed else "",
                    ))  # fmt: skip
                t["installment"].add((installment_id, contract_id, due.sequence, due.due_on, due.period_ends_on,
                                      due.amount, paid))  # fmt: skip
                installment_id += 1
            if over:
                returned_on = ends_on + datetime.timedelta(days=1)
                idle = rng.random() < IDLE_AGAIN_SHARE
                t["end"].add((
                    contract_id, EndKind.RETURN, returned_on, "按交接清单收回，资产完好。",
                    ReturnOutcome.IDLE if idle else ReturnOutcome.IN_USE, "租期届满后暂无承租意向" if idle else "",
                    DepositOutcome.RETURNED if deposit else DepositOutcome.NONE, clerk, _at(returned_on, 11),
                ))  # fmt: skip
                returned.append(asset_id)
                if idle:
                    idle_again.append(asset_id)
            contract_id += 1
        with transaction.atomic():
            for table in t.values():
                table.flush()
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Contract, Installment]):
                cursor.execute(sql)
    with transaction.atomic():
        # Back on their unit's ledger (Asset.end_revitalization), some idle again from the handover day.
        for begin in range(0, len(returned), BATCH):
            Asset.objects.filter(pk__in=returned[begin : begin + BATCH]).update(status=AssetStatus.IN_USE)
        returned_on = ContractEnd.objects.filter(contract__asset_id=OuterRef("pk")).values("returned_on")[:1]
        for begin in range(0, len(idle_again), BATCH):
            Asset.objects.filter(pk__in=idle_again[begin : begin + BATCH]).update(
                usage_status=UsageStatus.IDLE, idle_since=Subquery(returned_on), idle_reason="租期届满后暂无承租意向"
            )
        of_case = Contract.objects.filter(case_id=OuterRef("case_id"), version=1)
        ExecutionRecord.objects.filter(case__contracts__isnull=False).update(
            lessee=Subquery(of_case.values("counterparty")[:1]),
            lease_starts_on=Subquery(of_case.values("starts_on")[:1]),
            lease_ends_on=Subquery(of_case.values("ends_on")[:1]),
            annual_rent=Subquery(of_case.values("annual_amount")[:1]),
            contract_no=Subquery(of_case.values("number")[:1]),
        )
    log(
        f"  contracts: {Contract.objects.count():,} ({len(returned):,} returned), "
        f"{Installment.objects.count():,} installments, {Payment.objects.count():,} payments"
    )


def _fill_trail(total: int, rng: random.Random, log) -> None:
    """Everyday events (logins, claims, releases, exports) until the trail holds `total` events, chained."""
    missing = total - AuditEvent.objects.count()
    users = list(User.objects.filter(is_active=True).values_list("pk", "organization_id"))
    cases = list(DisposalCase.objects.values_list("pk", "asset_id", "state")[:50_000])
    start = timezone.now() - datetime.timedelta(days=365)
    step = datetime.timedelta(days=365) / max(missing, 1)
    at = start
    while missing > 0:
        n = min(50_000, missing)
        with transaction.atomic():
            chain = AuditChain()
            table = _Table(AuditEvent, ["at", "actor_id", "organization_id", "role", "action", "case_id", "asset_id",
                                        "from_state", "to_state", "data", "seq", "prev_hash", "hash"])  # fmt: skip
            for _ in range(n):
                at += step
                user, org = rng.choice(users)
                action = rng.choice(EVERYDAY)
                case_id = asset_id = None
                state, data = "", {}
                if action in ("claim", "release") and cases:
                    case_id, asset_id, state = rng.choice(cases)
                    data = {"step": "verify"}
                elif action == "export":
                    data = {"what": "ledger", "rows": rng.randint(1, 5000)}
                else:
                    data = {"username": f"user{user}"}
                table.add(chain.link(at, user, org, "", action, case_id, asset_id, state, state, data))
            table.flush()
            chain.save()
        missing -= n
        log(f"  trail: {AuditEvent.objects.count():,} events")


def _time_get(client: Client, url: str, label: str, repeats: int) -> Timing:
    timing = Timing(label)
    client.get(url)  # warm-up: templates compiled, caches filled
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timing.seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"bench: GET {url} answered {response.status_code}")
        timing.queries = len(queries)
    return timing


def _time_ledger(client: Client, today: datetime.date, repeats: int) -> list[Timing]:
    """The rent ledger county-wide over the last 12 months (page and workbook), and the ledger of the contract with
    the most installments over its term (the page's default)."""
    first = (today - relativedelta(months=11)).replace(day=1)
    query = f"start={first:%Y-%m}&end={today:%Y-%m}"
    longest = Contract.objects.annotate(n=Count("installments")).order_by("-n", "pk").first()
    page = reverse("contracts:contract_ledger", args=[longest.pk])
    return [
        _time_get(client, f"{reverse('contracts:ledger')}?{query}", "租金台账, county, 12 months", repeats),
        _time_get(client, page, f"租金台账, one contract ({longest.n} installments)", repeats),
        _time_get(client, f"{reverse('contracts:ledger_xlsx')}?{query}", "租金台账 xlsx, county, 12 months", repeats),
    ]


def run(
    *, assets: int, events: int, contracts: int, repeats: int, seed: int, database: str, log: Callable[[str], None]
) -> Result:
    get_resolver().url_patterns  # noqa: B018 - viewflow's viewsets learn their namespace when the URLconf is built
    demo_county_load()
    rng = random.Random(seed)
    reviewer = User.objects.select_related("organization").get(username=REVIEWER)
    supervisor = User.objects.get(username=SUPERVISOR)
    county = County.load(reviewer)
    load = [os.getloadavg()[0]]
    started = time.perf_counter()
    cases = max(20, int(assets * CASE_SHARE))
    log(f"seeding {cases:,} cases with their tasks and trail…")
    seeder = Seeder(county, seed=seed)
    seeder.seed(cases)
    _lease_cases(contracts, seeder, log)
    log(f"filling the register to {assets:,} assets…")
    _fill_register(county, assets - Asset.objects.count(), rng, log)
    if contracts:
        log(f"making {contracts:,} contracts with their schedules and payments…")
        _fill_contracts(county, contracts, rng, log)
    log(f"filling the trail to {events:,} events…")
    _fill_trail(events, rng, log)
    seed_seconds = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    load.append(os.getloadavg()[0])

    today = timezone.localdate()
    period = {"kind": "monthly", "year": today.year, "period": today.month}
    timings = []
    with override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(supervisor)
        log("timing the dashboard…")
        timings.append(_time_get(client, reverse("supervision:dashboard"), "dashboard, county (监督)", repeats))
        department = Client()
        department.force_login(reviewer)
        timings.append(
            _time_get(department, reverse("supervision:dashboard"), f"dashboard, {reviewer.organization}", repeats)
        )
        if contracts:
            log("timing the rent ledger…")
            timings += _time_ledger(client, today, repeats)
        log("timing the monthly report…")
        query = "&".join(f"{k}={v}" for k, v in period.items())
        timings.append(_time_get(client, f"{reverse('supervision:report_xlsx')}?{query}", "月调度 xlsx", repeats))
        pdf = Timing("月调度 signed PDF (request + render + sign)")
        size = 0
        for _ in range(repeats):
            begun = time.perf_counter()
            response = client.post(reverse("supervision:report_pdf"), period)
            if response.status_code not in (200, 302):
                raise RuntimeError(f"bench: the report PDF request answered {response.status_code}")
            report = SupervisionReport.objects.order_by("-pk").first()
            document = Document.objects.filter(subject_id=report.pk, kind="monthly_report").order_by("-pk").first()
            if document.status != DocumentStatus.ISSUED:
                document = document_issue(document_id=document.pk)  # no worker here: issue it in-process
            pdf.seconds.append(time.perf_counter() - begun)
            size = document.size
        timings.append(pdf)
    load.append(os.getloadavg()[0])
    log(f"verifying the chain of {AuditEvent.objects.count():,} events…")
    begun = time.perf_counter()
    report = audit_chain_verify()
    verify_seconds = time.perf_counter() - begun
    load.append(os.getloadavg()[0])
    return Result(
        vendor=vendor_description(),
        database=database,
        assets=Asset.objects.count(),
        cases=DisposalCase.objects.count(),
        events=AuditEvent.objects.count(),
        contracts=Contract.objects.count(),
        installments=Installment.objects.count(),
        payments=Payment.objects.count(),
        seed_seconds=seed_seconds,
        timings=timings,
        verify_seconds=verify_seconds,
        verified=report.verified,
        verify_broken=report.broken,
        report_pdf_bytes=size,
        load=load,
    )


def report_lines(r: Result, *, where: str) -> list[str]:
    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    dashboard = [t for t in r.timings if t.label.startswith("dashboard")]
    ledger = [t for t in r.timings if t.label.startswith("租金台账,")]
    lines = [
        f"bench supervision: {r.assets:,} assets, {r.cases:,} cases, {r.events:,} audit events, {r.contracts:,} "
        f"contracts ({r.installments:,} installments, {r.payments:,} payments) on {r.vendor}, "
        f"database {r.database} ({where} afterwards)",
        f"  seeded in {r.seed_seconds:.1f} s; load average (1 min) {min(r.load):.1f}–{max(r.load):.1f} on "
        f"{os.cpu_count()} CPUs",
        "",
        "  measure                                          median s   worst s   queries",
    ]
    for t in r.timings:
        label = f"{t.label:<{48 - _wide(t.label)}}"
        lines.append(f"  {label} {t.median:>8.3f} {t.worst:>9.3f} {t.queries or '':>9}")
    lines.append(f"  {'verify_audit (whole chain)':<48} {r.verify_seconds:>8.3f} {r.verify_seconds:>9.3f}")
    lines += [
        "",
        f"  report PDF size: {r.report_pdf_bytes / 1024:.1f} KB",
        f"  verify_audit: {r.verified:,} events verified" + (f"; BROKEN: {r.verify_broken}" if r.verify_broken else ""),
        f"  target dashboard ≤ {DASHBOARD_TARGET_S:.0f} s (worst of each scope): "
        + verdict(all(t.worst <= DASHBOARD_TARGET_S for t in dashboard)),
        f"  target rent ledger ≤ {LEDGER_TARGET_S:.0f} s (worst of each page; the workbook not judged): "
        + (verdict(all(t.worst <= LEDGER_TARGET_S for t in ledger)) if ledger else "not measured, no contracts"),
        f"  target verify_audit over 1,000,000 events ≤ {VERIFY_TARGET_S:.0f} s: "
        + (verdict(r.verify_seconds <= VERIFY_TARGET_S and not r.verify_broken) if r.events >= 1_000_000
           else f"not applicable at {r.events:,} events ({r.verify_seconds:.2f} s)"),
    ]  # fmt: skip
    return lines


def _wide(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(1 for ch in text if ord(ch) > 0x2E80)
