"""Personas: one per role, in the organizations where a county has them; and the real Celery worker."""

import datetime
import os
import tempfile
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from assets.models import AttachmentKind, Organization, OrganizationKind, Role

from .cases import two_years_ago
from .clock import CLOCK, TODAY
from .factories import OrganizationFactory, UserFactory
from .ledgers import BUILDING, import_ledger, ledger_row, upload_evidence

_session_clock = time_machine.travel(CLOCK, tick=True)


def pytest_configure(config):
    # Session fixtures (the test database, the Celery worker) start at the suite's instant too.
    _session_clock.start()
    # Uploaded files of the test run go to a throwaway folder that the Celery worker is told about too.
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="panhuo-test-media-")
    # The deployment's CA and the organizations' keys: a throwaway one per run (documents.signing).
    settings.PANHUO_PKI_DIR = Path(tempfile.mkdtemp(prefix="panhuo-test-pki-"))
    # Tests run the periodic jobs themselves, when they mean to (core/embedded.py runs them in a served process).
    settings.PANHUO["EMBEDDED_BEAT"] = False


def pytest_unconfigure(config):
    _session_clock.stop()


def pytest_report_header(config):
    return f"clock: {CLOCK.isoformat()} (Beijing date {TODAY}; set PANHUO_TEST_CLOCK to move it)"


@pytest.fixture(autouse=True)
def clock():
    """Every test starts at the suite's one instant (tests/clock.py), and time runs on from there.

    `clock.shift(datetime.timedelta(days=15))` or `clock.move_to(...)` travels further within the test."""
    with time_machine.travel(CLOCK, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real worker when REDIS_URL is set (the PostgreSQL pass); otherwise jobs already run in-process.

    Tests that use it also need `transactional_db`, so the worker sees what they committed."""
    if not settings.REDIS_URL:
        yield None
        return
    from config.celery import app

    from .worker import Worker

    queue = f"panhuo-test-{os.getpid()}"
    app.conf.task_default_queue = queue
    worker = Worker(queue)
    with django_db_blocker.unblock():
        worker.start()
    yield worker
    worker.stop()


@pytest.fixture(autouse=True)
def _jobs_in_process_unless_a_real_worker_is_asked_for(request):
    """Tests run jobs in-process for determinism; those that take `celery_worker` go through Redis instead."""
    if "celery_worker" in request.fixturenames:
        yield
        return
    from config.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Personas are created per test; the production hasher would cost ~0.2 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _load_urlconf():
    # viewflow viewsets learn their namespace only when the URLconf is built (shared/notes).
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018


@pytest.fixture
def education_bureau(db):
    return Organization.objects.get(name="茂县教育局")


@pytest.fixture
def school(db, education_bureau):
    return OrganizationFactory(
        name="茂县第一中学",
        short_name="茂一中",
        kind=OrganizationKind.INSTITUTION,
        supervising_department=education_bureau,
    )


@pytest.fixture
def town(db):
    return OrganizationFactory(name="茂县凤仪镇人民政府", short_name="茂凤仪", kind=OrganizationKind.TOWNSHIP)


@pytest.fixture
def finance_bureau(db):
    return OrganizationFactory(name="茂县财政局", short_name="茂财", kind=OrganizationKind.FINANCE)


@pytest.fixture
def audit_bureau(db):
    return OrganizationFactory(name="茂县审计局", short_name="茂审", kind=OrganizationKind.AUDIT)


@pytest.fixture
def alice(school):
    """经办人 of 茂县第一中学."""
    return UserFactory(username="alice", full_name="李晓红", organization=school, roles=[Role.UNIT_CLERK])


@pytest.fixture
def henry(school):
    """单位负责人 of 茂县第一中学."""
    return UserFactory(username="henry", full_name="王建国", organization=school, roles=[Role.UNIT_HEAD])


@pytest.fixture
def bob(town):
    """经办人 of 凤仪镇, another holding unit."""
    return UserFactory(username="bob", full_name="杨志强", organization=town, roles=[Role.UNIT_CLERK])


@pytest.fixture
def rita(db):
    """主管部门审核人 at 机关事务管理局, which leads general equipment."""
    org = Organization.objects.get(name="茂县机关事务管理局")
    return UserFactory(username="rita", full_name="陈丽", organization=org, roles=[Role.DEPT_REVIEWER])


@pytest.fixture
def hugo(db):
    """主管部门审核人 at 住建局, which leads buildings."""
    org = Organization.objects.get(name="茂县住房和城乡建设局")
    return UserFactory(username="hugo", full_name="赵刚", organization=org, roles=[Role.DEPT_REVIEWER])


@pytest.fixture
def fiona(finance_bureau):
    """财政审批人."""
    return UserFactory(username="fiona", full_name="刘芳", organization=finance_bureau, roles=[Role.FINANCE_APPROVER])


@pytest.fixture
def sam(audit_bureau):
    """监督 at 审计局."""
    return UserFactory(username="sam", full_name="周明", organization=audit_bureau, roles=[Role.SUPERVISOR])


@pytest.fixture
def adam(finance_bureau):
    """系统管理员."""
    return UserFactory(username="adam", full_name="系统管理员", organization=finance_bureau, roles=[Role.ADMIN])


# -- the assets most cases are about (imported by the school's clerk, with the evidence an idle report needs) ----


@pytest.fixture
def computer(school, alice):
    """An idle computer of the school, imported by its clerk with the evidence an idle report needs."""
    [asset] = import_ledger(alice, ledger_row(
        资产编号="MX-YZ-PC-100", 资产名称="台式计算机", 使用状况="闲置", 停用日期=two_years_ago(),
        闲置原因="教室改造后停用",
    ))  # fmt: skip
    upload_evidence(alice, asset, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    return asset


@pytest.fixture
def building(school, alice):
    """An idle building of the school (verified by 住建局), imported like the computer."""
    [asset] = import_ledger(alice, ledger_row(
        资产编号="MX-YZ-FW-001", 资产名称="原教师周转房", 资产类别=BUILDING, 资产子类="经营性用房", 计量单位="栋",
        **{"面积（㎡）": 860, "原值（元）": 3600000, "净值（元）": 2100000}, 取得日期=datetime.date(2006, 9, 1),
        使用状况="闲置", 停用日期=two_years_ago(), 闲置原因="教师搬入新周转房后闲置",
    ))  # fmt: skip
    upload_evidence(alice, asset, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    return asset


@pytest.fixture
def fred(finance_bureau):
    """A second 财政审批人, for steps that must be done by someone else."""
    return UserFactory(username="fred", full_name="郑伟", organization=finance_bureau, roles=[Role.FINANCE_APPROVER])
