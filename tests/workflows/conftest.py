"""A school with an idle computer (verified by 机关事务管理局) and an idle building (verified by 住建局)."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from assets.models import AssetAttachment, AttachmentKind, Role, UsageStatus
from workflows.services import Actor

from ..clock import TODAY
from ..factories import AssetFactory, UserFactory, category, subtype

TWO_YEARS_AGO = TODAY - datetime.timedelta(days=730)


def two_years_ago() -> datetime.date:
    """Two years before the day the test is at (a module may set its own clock: test_dashboard)."""
    return timezone.localdate() - datetime.timedelta(days=730)


def attach(asset, kind, user=None, name=None) -> AssetAttachment:
    attachment = AssetAttachment(
        asset=asset, kind=kind, original_name=name or f"{kind}.pdf", content_type="application/pdf", size=9,
        sha256="0" * 64, uploaded_by=user,
    )  # fmt: skip
    attachment.file.save("evidence.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    attachment.save()
    return attachment


def idle_evidence(asset):
    attach(asset, AttachmentKind.STOP_STATEMENT)
    attach(asset, AttachmentKind.MEETING_MINUTES)


@pytest.fixture
def computer(school):
    asset = AssetFactory(
        code="MX-YZ-PC-100", name="台式计算机", holding_unit=school, usage_status=UsageStatus.IDLE,
        idle_since=two_years_ago(), acquired_on=datetime.date(2012, 5, 1),
    )  # fmt: skip
    idle_evidence(asset)
    return asset


@pytest.fixture
def building(school):
    asset = AssetFactory(
        code="MX-YZ-FW-001", name="原教师周转房", holding_unit=school, category=category("building"),
        subtype=subtype("building", "business_premises"), area_m2=Decimal("860"),
        original_value=Decimal("3600000"), net_value=Decimal("2100000"), usage_status=UsageStatus.IDLE,
        idle_since=two_years_ago(), acquired_on=datetime.date(2006, 9, 1),
    )  # fmt: skip
    idle_evidence(asset)
    return asset


@pytest.fixture
def fred(finance_bureau):
    """A second 财政审批人, for steps that must be done by someone else."""
    return UserFactory(username="fred", full_name="郑伟", organization=finance_bureau, roles=[Role.FINANCE_APPROVER])


def as_(user) -> Actor:
    return Actor(user=user, ip="10.0.0.8")
