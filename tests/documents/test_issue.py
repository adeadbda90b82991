"""Every step's document is issued once, numbered without gaps, signed by the right organizations, kept, and
checkable by anyone at /verify/."""

import datetime
import hashlib
import re
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assets.models import AttachmentKind, Role
from documents.models import Document, DocumentSequence, DocumentStatus
from documents.services import document_issue, documents_of, documents_sweep
from documents.signing import verify_pdf
from workflows.services import (
    case_close,
    case_confirm_remittance,
    case_finance_approve,
    case_propose,
    case_record_execution,
    case_review,
    case_start_execution,
    listing_apply,
)

from ..cases import LEASE_TERMS, as_, attach, auction_record, issue_all, lease_record, proceeds, verified
from ..clock import TODAY, on_the_clock
from ..factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "documents"
NUMBER = re.compile(r"^\S+盘〔\d{4}〕\d+号$")


def text_of(document: Document) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(document.file.open("rb").read())
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True).stdout


def read(document: Document) -> bytes:
    with document.file.open("rb") as f:
        return f.read()


def test_every_step_of_a_lease_issues_its_numbered_signed_document(building, alice, henry, hugo, fiona, fred):
    case = verified(building, alice, henry, hugo, window_closed=True)
    minutes = attach(building, AttachmentKind.MEETING_MINUTES)
    case = case_propose(actor=as_(alice), case=case, method="lease", summary="整体公开招租", justification="无单位申请",
                        minutes=[minutes], terms=LEASE_TERMS)  # fmt: skip
    case = case_review(actor=as_(hugo), case=case, approve=True, opinion="同意")
    case = case_finance_approve(actor=as_(fiona), case=case, approve=True, opinion="同意公开招租")
    case = case_start_execution(actor=as_(alice), case=case)
    case = case_record_execution(actor=as_(alice), case=case, record=lease_record(), proceeds=proceeds())
    case = case_confirm_remittance(actor=as_(fred), case=case)
    case = case_close(actor=as_(fiona), case=case)

    documents = issue_all(case)
    assert [(d.step, d.kind) for d in documents] == [
        ("submit", "report_form"), ("verify", "verification_opinion"), ("approve", "approval_form"),
        ("execute", "lease_filing"), ("close", "closure"),
    ]  # fmt: skip
    for document in documents:
        data = read(document)
        assert document.status == DocumentStatus.ISSUED and NUMBER.match(document.number)
        assert document.sha256 == hashlib.sha256(data).hexdigest() and document.size == len(data)
        verdict = verify_pdf(data)
        assert verdict.valid, (document.kind, verdict.message)
        text = text_of(document)
        assert building.name in text and "茂县第一中学" in text and document.number in text
        assert document.content_sha256 in text.replace("\n", "").replace(" ", "")
    approval = documents[2]
    assert [s["name"] for s in approval.signers] == ["茂县住房和城乡建设局", "茂县财政局"]
    assert [s["organization"] for s in verify_pdf(read(approval)).signatures] == [s["name"] for s in approval.signers]
    assert "整体公开招租" in text_of(approval) and "同意公开招租" in text_of(approval)
    assert "茂县羌韵餐饮有限公司" in text_of(documents[3])


def pdfsig_reports(pdf: bytes, folder) -> list[str]:
    """poppler's pdfsig with an NSS database that trusts the deployment's root (C,C,C: shared notes, addendum)."""
    from django.conf import settings

    nss = folder / "nss"
    if not nss.exists():
        nss.mkdir()
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
        root = str(settings.PANHUO_PKI_DIR / "root.cert.pem")
        subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "root", "-t", "C,C,C", "-i", root], check=True,
                       capture_output=True)  # fmt: skip
    path = folder / "check.pdf"
    path.write_bytes(pdf)
    command = on_the_clock(["pdfsig", "-nssdir", f"sql:{nss}", "-no-ocsp", str(path)])
    out = subprocess.run(command, capture_output=True, text=True)
    return out.stdout.split("Signature #")[1:]


def test_a_transfer_order_carries_the_signatures_of_both_units(
    computer, alice, henry, rita, bob, town, fiona, tmp_path
):
    case = verified(computer, alice, henry, rita)
    listing_apply(actor=as_(bob), case=case, reason="办公需要")
    case = case_propose(actor=as_(alice), case=case, method="reallocate", summary="调剂给凤仪镇", receiving_unit=town)
    case = case_review(actor=as_(rita), case=case, approve=True, opinion="同意")
    case = case_start_execution(actor=as_(alice), case=case, record={"handover_on": TODAY, "handover_list": "主机"})
    case = case_record_execution(actor=as_(bob), case=case)
    order = next(d for d in issue_all(case) if d.kind == "transfer_order")
    signatures = verify_pdf(read(order)).signatures
    assert [s["organization"] for s in signatures] == ["茂县第一中学", "茂县凤仪镇人民政府"]
    assert "调剂给凤仪镇" in text_of(order)
    # An outside verifier agrees: poppler's pdfsig, trusting only the deployment's root, on the issued file.
    reports = pdfsig_reports(read(order), tmp_path)
    assert len(reports) == 2 and all("Signature is Valid." in r and "Certificate is Trusted." in r for r in reports)
    assert "Total document signed" in reports[-1]
    altered = bytearray(read(order))
    altered[len(altered) // 3] ^= 0x01
    assert all("Signature is Valid." not in r for r in pdfsig_reports(bytes(altered), tmp_path))
    # Kept for review: the issued, twice-signed page as a county clerk would print it.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "issued-transfer-order.pdf").write_bytes(read(order))
    subprocess.run(["pdftoppm", "-png", "-r", "90", "-singlefile", str(ARTIFACTS / "issued-transfer-order.pdf"),
                    str(ARTIFACTS / "issued-transfer-order")], check=True)  # fmt: skip


def test_numbers_run_per_organization_and_year_taken_with_the_step_and_a_failed_issue_keeps_its_number(
    computer, building, alice, henry, rita, hugo, settings, tmp_path
):
    first = verified(computer, alice, henry, rita)
    second = verified(building, alice, henry, hugo)
    school_docs = [d for d in documents_of(first).order_by("pk")] + [d for d in documents_of(second).order_by("pk")]
    school_reports = [d for d in school_docs if d.kind == "report_form"]
    year = TODAY.year
    # Each number is taken by its step, in the step's transaction (issue 15: no number lock spans a render).
    assert [d.number for d in school_reports] == [f"茂一中盘〔{year}〕1号", f"茂一中盘〔{year}〕2号"]

    # The disk refuses the file: the job fails, and the document keeps its number for the retry.
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.MEDIA_ROOT = str(blocked)
    with pytest.raises(OSError):
        document_issue(document_id=school_reports[0].pk)
    failed = Document.objects.get(pk=school_reports[0].pk)
    assert (failed.status, failed.number, failed.file.name) == (DocumentStatus.PENDING, f"茂一中盘〔{year}〕1号", "")
    assert DocumentSequence.objects.get(organization=failed.issuer).last == 2

    settings.MEDIA_ROOT = str(tmp_path / "media")
    numbers = [document_issue(document_id=d.pk).number for d in school_reports]
    assert numbers == [f"茂一中盘〔{year}〕1号", f"茂一中盘〔{year}〕2号"]
    assert DocumentSequence.objects.get(organization=failed.issuer).last == 2
    # Each department numbers its own opinions from 1.
    verifications = [document_issue(document_id=d.pk) for d in school_docs if d.kind != "report_form"]
    assert [(d.issuer.name, d.number.split("〔")[1]) for d in verifications] == [
        ("茂县机关事务管理局", f"{year}〕1号"), ("茂县住房和城乡建设局", f"{year}〕1号")
    ]  # fmt: skip


def test_a_step_that_rolls_back_gives_its_number_back(computer, building, alice, henry, rita, hugo):
    from django.db import transaction

    from documents.services import document_request

    case = verified(computer, alice, henry, rita)
    report = documents_of(case).get(kind="report_form")
    with transaction.atomic():
        again = document_request(
            kind=report.kind, subject=case, step=report.step, context=report.context, signers=[report.issuer]
        )
        assert again.number == f"茂一中盘〔{TODAY.year}〕2号"
        transaction.set_rollback(True)
    assert DocumentSequence.objects.get(organization=report.issuer).last == 1
    second = verified(building, alice, henry, hugo)
    assert documents_of(second).get(kind="report_form").number == f"茂一中盘〔{TODAY.year}〕2号"


def test_a_document_asked_for_before_numbers_came_with_the_step_takes_its_number_at_issue(computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    report = documents_of(case).get(kind="report_form")
    Document.objects.filter(pk=report.pk).update(number="")  # as rows requested before issue 15 were left
    DocumentSequence.objects.filter(organization=report.issuer).update(last=0)

    issued = document_issue(document_id=report.pk)

    assert issued.number == f"茂一中盘〔{TODAY.year}〕1号" and issued.status == DocumentStatus.ISSUED
    assert DocumentSequence.objects.get(organization=report.issuer).last == 1


def test_issuing_twice_changes_nothing(computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    document = documents_of(case).first()
    once = document_issue(document_id=document.pk)
    twice = document_issue(document_id=document.pk)
    assert (once.number, once.sha256, once.file.name) == (twice.number, twice.sha256, twice.file.name)
    assert DocumentSequence.objects.get(organization=document.issuer).last == 1


def test_a_plan_approved_again_after_a_low_bid_is_a_new_version_superseding_the_first(
    building, alice, henry, hugo, fiona, fred
):
    from ..cases import approved_auction

    case = approved_auction(building, alice, henry, hugo, fiona)
    report = attach(building, AttachmentKind.APPRAISAL_REPORT)
    # 85% of the appraisal, over a reserve lowered after 流拍 (a bid under the reserve is no sale).
    low = auction_record(winning_bid=Decimal("1700000"), reserve_price=Decimal("1600000"))
    case = case_record_execution(actor=as_(alice), case=case, record=low, evidence=[report])
    case = case_review(actor=as_(hugo), case=case, approve=True, opinion="同意按成交价处置")
    case = case_finance_approve(actor=as_(fiona), case=case, approve=True, opinion="同意")
    approvals = [d for d in issue_all(case) if d.kind == "approval_form"]
    assert [(d.version, d.supersedes_id) for d in approvals] == [(1, None), (2, approvals[0].pk)]
    second = text_of(approvals[1])
    assert approvals[0].number != approvals[1].number and "同意按成交价处置" in second
    # The 第2版 records what was approved again: the bid, the appraisal and the floor (issue 12 §1.2).
    assert "重新报批依据" in second and "重新报批依据" not in text_of(approvals[0])
    for figure in ("成交价 1,700,000.00", "评估值 2,000,000.00", "1,800,000.00"):
        assert figure in second, figure


def test_a_document_left_pending_is_queued_again_by_the_sweep(computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    assert documents_of(case).filter(status=DocumentStatus.PENDING).count() == 2
    assert documents_sweep(older_than=datetime.timedelta(0)) == 2  # jobs run in-process in this pass
    assert documents_of(case).filter(status=DocumentStatus.ISSUED).count() == 2
    assert documents_sweep(older_than=datetime.timedelta(0)) == 0


# -- the public verification page -----------------------------------------------------------------------------


@pytest.fixture
def issued_report(computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    return case, issue_all(case)[0]


def test_the_verification_page_needs_no_login_and_rechecks_the_stored_file(client, issued_report):
    case, document = issued_report
    page = client.get(f"/verify/{document.uuid}/").content.decode()
    assert "签名有效，文件未被改动。" in page and document.number in page and "茂县第一中学" in page
    assert case.asset.code in page
    assert client.get("/verify/00000000-0000-0000-0000-000000000000/").status_code == 404


def upload(client, data: bytes, name="文书.pdf"):
    return client.post("/verify/", {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})


def test_an_uploaded_pdf_is_judged_genuine_altered_appended_or_not_ours(client, issued_report):
    _, document = issued_report
    genuine = read(document)
    assert "签名有效，文件未被改动。" in upload(client, genuine).content.decode()

    altered = bytearray(genuine)
    position = genuine.index(b"/Producer") if b"/Producer" in genuine else len(genuine) // 3
    altered[position + 2] ^= 0x01
    assert "✘" in upload(client, bytes(altered)).content.decode()

    from ..documents.test_signing import _append_unsigned_revision

    appended = upload(client, _append_unsigned_revision(genuine)).content.decode()
    assert "签署后文件被追加了未签名的修订。" in appended

    from weasyprint import HTML

    foreign = HTML(string="<p>别处生成的文件</p>").write_pdf()
    assert "该文件不是本系统签发的。" in upload(client, foreign).content.decode()
    assert "无法读取该 PDF 文件。" in upload(client, b"not a pdf").content.decode()


def test_a_document_is_downloaded_only_by_those_who_see_its_case(client, issued_report, alice, sam):
    case, document = issued_report
    url = f"/cases/{case.pk}/documents/{document.uuid}/"
    client.force_login(alice)
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Cache-Control"] == "no-store, private" and "attachment;" in response["Content-Disposition"]
    client.force_login(sam)  # supervisors read everything
    assert client.get(url).status_code == 200
    stranger = UserFactory(username="carol", organization=OrganizationFactory(), roles=[Role.UNIT_CLERK])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert "生成中" not in client.get(f"/cases/{case.pk}/").content.decode()


def test_the_root_certificate_is_published_with_its_fingerprint(client, issued_report):
    from documents.signing import root_certificate_pem, root_fingerprint

    response = client.get("/verify/root-ca.pem")
    assert response.status_code == 200 and response.content == root_certificate_pem()
    assert root_fingerprint() in client.get("/verify/").content.decode()


def test_an_issued_document_is_never_changed_or_deleted(issued_report):
    _, document = issued_report
    document.context = {"asset": {"name": "改过的内容"}}
    with pytest.raises(PermissionError):
        document.save()
    with pytest.raises(PermissionError):
        document.delete()
    assert Document.objects.get(pk=document.pk).context["asset"]["name"] == "台式计算机"


def test_the_case_page_shows_a_document_as_being_made_until_it_is_issued(client, computer, alice, henry, rita):
    case = verified(computer, alice, henry, rita)
    client.force_login(alice)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert page.count("生成中") == 2 and "下载" not in page  # the next step did not wait for them
    issue_all(case)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert "生成中" not in page and page.count(">下载<") == 2


def test_a_document_that_keeps_failing_is_marked_failed_shown_so_and_left_out_of_the_sweep(
    client, computer, alice, henry, rita, settings, tmp_path
):
    from documents.tasks import document_issue_task

    case = verified(computer, alice, henry, rita)
    document = documents_of(case).first()
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.MEDIA_ROOT = str(blocked)
    settings.PANHUO = {**settings.PANHUO, "DOCUMENT_MAX_ATTEMPTS": 2}
    document_issue_task.apply(args=[document.pk])
    document = Document.objects.get(pk=document.pk)
    assert (document.status, document.attempts, document.file.name) == (DocumentStatus.PENDING, 1, "")
    assert document.last_error.startswith(("FileExistsError", "NotADirectoryError", "OSError"))
    document_issue_task.apply(args=[document.pk])
    assert Document.objects.get(pk=document.pk).status == DocumentStatus.FAILED
    assert documents_sweep(older_than=datetime.timedelta(0)) == 1  # the other, still pending document only
    client.force_login(alice)
    assert "生成失败" in client.get(f"/cases/{case.pk}/").content.decode()


def test_a_renamed_organization_signs_under_its_new_name(computer, alice, henry, rita, school):
    case = verified(computer, alice, henry, rita)
    report = documents_of(case).get(kind="report_form")
    school.name = "茂县第一高级中学"
    school.save()
    issued = document_issue(document_id=report.pk)
    assert [s["organization"] for s in verify_pdf(read(issued)).signatures] == ["茂县第一高级中学"]


def test_an_empty_or_oversized_upload_is_refused_with_a_message(client, settings):
    assert client.post("/verify/", {}).status_code == 422
    settings.PANHUO = {**settings.PANHUO, "VERIFY_MAX_BYTES": 1024 * 1024}
    big = SimpleUploadedFile("大文件.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 1), content_type="application/pdf")
    response = client.post("/verify/", {"file": big})
    assert response.status_code == 422 and "文件超过 1 MB，无法核验。" in response.content.decode()


def test_documents_are_read_only_in_the_admin(client, issued_report, finance_bureau):
    _, document = issued_report
    root = UserFactory(username="root", organization=finance_bureau, is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get("/admin/documents/document/").status_code == 200
    assert client.get(f"/admin/documents/document/{document.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/documents/document/{document.pk}/change/", {"number": "x"}).status_code == 403
    assert client.get("/admin/documents/document/add/").status_code == 403
    assert client.post(f"/admin/documents/document/{document.pk}/delete/").status_code == 403
