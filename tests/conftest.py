"""Personas: one per role, in the organizations where a county has them; and the real Celery worker."""

import os
import tempfile
from pathlib import Path

import pytest
import time_machine
from django.conf import settings

from assets.models import Organization, OrganizationKind, Role

from .clock import CLOCK, TODAY
from .factories import OrganizationFactory, UserFactory

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
def _seed_data(django_db_setup):
    """The test database as migrations left it (Django serializes it when it creates it), kept from the start:
    a connection made later in another async context (the browser tests') does not carry it."""
    from django.db import connections

    return getattr(connections["default"], "_test_serialized_contents", None)


@pytest.fixture(autouse=True)
def _seed_data_back_after_a_transactional_test(request, django_db_blocker, _seed_data):
    """A transactional test ends by emptying the database (Django's flush), migrations' seed data included; Django
    relies on running such tests last. With the suite spread over two processes (pytest-xdist) they are not last,
    so the seed data is put back here, right after the flush. (Set up before the database fixtures, torn down after.)"""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        marker is not None and marker.kwargs.get("transaction")
    ) or "transactional_db" in request.fixturenames
    if not transactional:
        return
    from django.db import connections

    if _seed_data:
        with django_db_blocker.unblock():
            connections["default"].creation.deserialize_db_from_string(_seed_data)


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
