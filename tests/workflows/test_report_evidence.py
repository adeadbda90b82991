"""申报 asks for the evidence its basis needs (issue 12 §1.5): an idle report without a 停用说明 and a 会议纪要 on the
asset's file is refused at once, on the report's own form, so the clerk fixes it before the head's sign-off."""

import pytest

from assets.models import AttachmentKind
from workflows.flows import DisposalFlow
from workflows.models import CaseState, DisposalCase, StagedUpload

from ..cases import two_years_ago
from ..ledgers import import_ledger, ledger_row, upload_evidence
from .test_flow_urls import do, fresh, pdf, report

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare(school, alice):
    """An idle computer of the school imported with no evidence on its file yet."""
    [asset] = import_ledger(alice, ledger_row(
        资产编号="MX-YZ-PC-200", 使用状况="闲置", 停用日期=two_years_ago(), 闲置原因="教室改造后停用",
    ))  # fmt: skip
    return asset


def test_an_idle_report_without_the_meeting_minutes_is_refused_and_keeps_the_stop_statement(client, bare, alice):
    client.force_login(alice)
    page = client.get(f"/cases/report/{bare.pk}/").content.decode()
    assert "资产档案中尚无，请上传" in page  # the form says what the rule needs before the clerk submits
    data = {"basis": "idle", "statement": "停用两年，无使用计划", "stop_statement": pdf("停用说明.pdf")}
    response = client.post(f"/cases/report/{bare.pk}/", data)
    text = response.content.decode()
    assert response.status_code == 422
    assert "认定闲置须附会议纪要（依据《茂县闲置低效资产资源盘活利用工作实施方案》一(三)1）" in text
    assert "资产档案中尚无会议纪要，请上传。" in text
    assert "认定闲置须附停用说明" not in text  # the one chosen counts
    assert not DisposalCase.objects.filter(asset=bare).exists()
    assert not bare.attachments.exists()  # the refused report stored nothing on the file …
    assert StagedUpload.objects.filter(user=alice, field="stop_statement").exists()  # … and lost nothing

    response = client.post(
        f"/cases/report/{bare.pk}/", {"basis": "idle", "statement": "停用两年", "meeting_minutes": pdf("纪要.pdf")}
    )
    assert response.status_code == 302
    case = DisposalCase.objects.get(asset=bare)
    assert case.state == CaseState.DRAFT
    kinds = set(bare.attachments.values_list("kind", flat=True))
    assert kinds == {AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES}


def test_evidence_already_on_the_assets_file_counts_and_the_form_says_so(client, bare, alice, henry):
    upload_evidence(alice, bare, AttachmentKind.STOP_STATEMENT, AttachmentKind.MEETING_MINUTES)
    client.force_login(alice)
    page = client.get(f"/cases/report/{bare.pk}/").content.decode()
    assert "资产档案中已有" in page and "可不再上传" in page
    case = report(client, alice, bare)
    do(client, henry, case, DisposalFlow.sign_off, {"opinion": "同意申报"})
    assert fresh(case).state == CaseState.SUBMITTED


def test_a_low_efficiency_report_needs_no_idle_evidence(client, bare, alice):
    case = report(client, alice, bare, basis="low_efficiency")
    assert case.basis == "low_efficiency"


def test_only_the_holding_units_clerk_may_report(client, bare, henry, bob):
    client.force_login(henry)  # the unit's head: wrong role
    assert client.post(f"/cases/report/{bare.pk}/", {"basis": "idle", "statement": "x"}).status_code == 403
    client.force_login(bob)  # another unit's clerk: not his asset
    assert client.post(f"/cases/report/{bare.pk}/", {"basis": "idle", "statement": "x"}).status_code == 404
    assert not DisposalCase.objects.filter(asset=bare).exists()
