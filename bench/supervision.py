"""`bench supervision`: a county with many assets and a long trail, then the supervisors' dashboard, the monthly
report (xlsx and signed PDF) and `verify_audit` timed.

Cases come from the workflow bench's seeder (every step, department and method, with tasks and a chained trail);
the rest of the register is assets that never had a case (some idle for years, which the dashboard flags), and the
rest of the trail is the everyday events around cases (logins, claims, exports), chained like real ones. It runs in
a throwaway database (`benchmark.throwaway_database`) or, for the tests, in one rolled-back transaction."""

import datetime
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import get_resolver, reverse
from django.utils import timezone

from assets.models import Asset, AssetStatus, Category, UsageStatus, User
from audit.chain import audit_chain_verify
from audit.models import AuditEvent
from demo.county import demo_county_load
from documents.models import Document, DocumentStatus
from documents.services import document_issue
from supervision.models import SupervisionReport
from workflows.models import DisposalCase

from .workflows import BATCH, REVIEWER, AuditChain, County, Seeder, _money, _next_id, _Table, vendor_description

SUPERVISOR = "shenji_jd"  # 县审计局: reads the whole county
CASE_SHARE = 0.3  # of the assets went through (or are in) a disposal case
DASHBOARD_TARGET_S = 1.0
VERIFY_TARGET_S = 30.0
EVERYDAY = ["login", "login", "login", "claim", "release", "export"]


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


def run(*, assets: int, events: int, repeats: int, seed: int, database: str, log: Callable[[str], None]) -> Result:
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
    Seeder(county, seed=seed).seed(cases)
    log(f"filling the register to {assets:,} assets…")
    _fill_register(county, assets - Asset.objects.count(), rng, log)
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
    lines = [
        f"bench supervision: {r.assets:,} assets, {r.cases:,} cases, {r.events:,} audit events on {r.vendor}, "
        f"database {r.database} ({where} afterwards)",
        f"  seeded in {r.seed_seconds:.1f} s; load average (1 min) {min(r.load):.1f}–{max(r.load):.1f} on "
        f"{os.cpu_count()} CPUs",
        "",
        "  measure                                          median s   worst s   queries",
    ]
    for t in r.timings:
        lines.append(f"  {t.label:<48} {t.median:>8.3f} {t.worst:>9.3f} {t.queries or '':>9}")
    lines.append(f"  {'verify_audit (whole chain)':<48} {r.verify_seconds:>8.3f} {r.verify_seconds:>9.3f}")
    lines += [
        "",
        f"  report PDF size: {r.report_pdf_bytes / 1024:.1f} KB",
        f"  verify_audit: {r.verified:,} events verified" + (f"; BROKEN: {r.verify_broken}" if r.verify_broken else ""),
        f"  target dashboard ≤ {DASHBOARD_TARGET_S:.0f} s (worst of each scope): "
        + verdict(all(t.worst <= DASHBOARD_TARGET_S for t in dashboard)),
        f"  target verify_audit over 1,000,000 events ≤ {VERIFY_TARGET_S:.0f} s: "
        + (verdict(r.verify_seconds <= VERIFY_TARGET_S and not r.verify_broken) if r.events >= 1_000_000
           else f"not applicable at {r.events:,} events ({r.verify_seconds:.2f} s)"),
    ]  # fmt: skip
    return lines
