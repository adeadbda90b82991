"""A school with an idle computer (verified by 机关事务管理局) and an idle building (verified by 住建局)."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from assets.models import AssetAttachment, AttachmentKind, Role
from workflows.services import Actor

from ..clock import TODAY
from ..factories import UserFactory
from ..ledgers import BUILDING, import_ledger, ledger_row, upload_evidence

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


def as_(user) -> Actor:
    return Actor(user=user, ip="10.0.0.8")
