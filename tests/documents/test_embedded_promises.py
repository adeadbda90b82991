"""The embedded default (no Redis, jobs in-process) keeps production's promises: what a restart or a failed attempt
leaves unfinished is finished by the periodic jobs, which the web process runs itself; a failed document can be
made again by an administrator; a stored file that is gone or altered is never served, and is reported."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from assets.imports import import_batch_commit_run, import_batches_sweep
from assets.models import Asset, AttachmentKind, ImportBatch, ImportStatus
from assets.services import role_groups_ensure
from audit.models import AuditEvent
from core.embedded import EmbeddedBeat, EmbeddedBeatMiddleware
from documents.models import Document, DocumentStatus
from documents.services import documents_of
from documents.tasks import document_issue_task

from ..cases import verified
from ..ledgers import filled_template, import_ledger, ledger_row, upload_evidence

pytestmark = pytest.mark.django_db


def fail_the_first_attempt(settings, tmp_path, case) -> Document:
    """Storage refuses the document (MEDIA_ROOT is a file), then comes back."""
    document = documents_of(case).first()
    media = settings.MEDIA_ROOT
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    settings.MEDIA_ROOT = str(blocked)
    document_issue_task.apply(args=[document.pk])
    settings.MEDIA_ROOT = media
    return Document.objects.get(pk=document.pk)


# -- the embedded beat ----------------------------------------------------------------------------------------------


def test_the_embedded_beat_runs_every_job_at_start_up_then_each_at_its_interval(settings):
    now = [1000.0]
    beat = EmbeddedBeat(settings.CELERY_BEAT_SCHEDULE, clock=lambda: now[0])

    first = beat.run_due()
    assert set(first) == set(settings.CELERY_BEAT_SCHEDULE)
    assert not any(isinstance(r, Exception) for r in first.values()), first
    assert beat.run_due() == {}
    now[0] += 301
    assert set(beat.run_due()) == {"documents-sweep", "archive-batches-sweep", "import-batches-sweep"}
    now[0] += 3600
    assert "cases-mark-overdue" in beat.run_due()


def test_a_document_whose_first_attempt_failed_is_issued_by_the_embedded_beat(
    client, computer, alice, henry, rita, settings, tmp_path, clock
):
    case = verified(computer, alice, henry, rita)
    document = fail_the_first_attempt(settings, tmp_path, case)
    assert document.status == DocumentStatus.PENDING and document.attempts == 1
    client.force_login(alice)
    assert "生成中" in client.get(f"/cases/{case.pk}/").content.decode()

    clock.shift(datetime.timedelta(minutes=settings.PANHUO["DOCUMENT_SWEEP_MINUTES"] + 1))
    EmbeddedBeat({"documents-sweep": settings.CELERY_BEAT_SCHEDULE["documents-sweep"]}).run_due()

    assert Document.objects.get(pk=document.pk).status == DocumentStatus.ISSUED
    assert "生成中" not in client.get(f"/cases/{case.pk}/").content.decode()


def test_a_served_process_starts_one_beat_and_a_test_or_command_none(settings):
    import core.embedded as embedded

    assert embedded._beat is None  # settings.PANHUO["EMBEDDED_BEAT"] is off in the tests
    settings.PANHUO = {**settings.PANHUO, "EMBEDDED_BEAT": True}
    started = []

    class Recording(EmbeddedBeat):
        def start(self):
            started.append(self)

    original = embedded.EmbeddedBeat
    embedded.EmbeddedBeat = Recording
    try:
        EmbeddedBeatMiddleware(lambda request: None)
        EmbeddedBeatMiddleware(lambda request: None)
    finally:
        embedded.EmbeddedBeat = original
        embedded._beat = None
    assert len(started) == 1 and set(started[0].schedule) == set(settings.CELERY_BEAT_SCHEDULE)


# -- lost imports ---------------------------------------------------------------------------------------------------


def test_an_import_cut_by_a_restart_while_being_checked_is_checked_again(client, alice, clock):
    client.force_login(alice)
    upload = filled_template(client, [ledger_row(持有单位="茂县第一中学")])
    client.post(reverse("register:import"), {"file": upload})
    batch = ImportBatch.objects.get()
    # As a restart leaves it: claimed by a job that died at 40%.
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.VALIDATING, processed_rows=0, message="")
    assert import_batches_sweep() == 0  # still beating, as far as anyone can tell

    clock.shift(datetime.timedelta(minutes=11))
    assert import_batches_sweep() == 1

    batch = ImportBatch.objects.get(pk=batch.pk)
    assert batch.status == ImportStatus.VALID
    assert client.post(reverse("register:import_commit", args=[batch.pk])).status_code == 302
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.COMMITTED


def test_an_import_cut_by_a_restart_while_being_written_is_written_once(client, alice, clock):
    client.force_login(alice)
    client.post(reverse("register:import"), {"file": filled_template(client, [ledger_row(持有单位="茂县第一中学")])})
    batch = ImportBatch.objects.get()
    # The commit was claimed, and the process died before it wrote anything.
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.COMMITTING, heartbeat_at=None)
    again = client.post(reverse("register:import_commit", args=[batch.pk]))
    assert again.status_code == 422 and "正在导入" in again.content.decode()

    clock.shift(datetime.timedelta(minutes=11))
    assert import_batches_sweep() == 1
    import_batch_commit_run(batch_id=batch.pk)  # a second delivery finds it done

    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.COMMITTED
    assert Asset.objects.filter(import_batch=batch).count() == 1


# -- regenerating a failed document ---------------------------------------------------------------------------------


def test_an_administrator_regenerates_a_failed_document_and_the_trail_says_who(
    client, computer, alice, henry, rita, adam, settings, tmp_path, django_capture_on_commit_callbacks
):
    case = verified(computer, alice, henry, rita)
    settings.PANHUO = {**settings.PANHUO, "DOCUMENT_MAX_ATTEMPTS": 1}
    document = fail_the_first_attempt(settings, tmp_path, case)
    assert document.status == DocumentStatus.FAILED

    role_groups_ensure()  # as after migrate: the admin role's permissions
    adam.is_staff = True
    adam.save()
    client.force_login(adam)
    changelist = reverse("admin:documents_document_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(changelist, {"action": "regenerate", "_selected_action": [document.pk]}, follow=True)

    assert "已重新提交 1 份文书" in response.content.decode()
    assert Document.objects.get(pk=document.pk).status == DocumentStatus.ISSUED
    event = AuditEvent.objects.get(action="document_regenerate")
    assert event.actor == adam and event.data["document"] == str(document.uuid)


def test_an_issued_document_is_not_regenerated(client, computer, alice, henry, rita, adam):
    from ..cases import issue_all

    case = verified(computer, alice, henry, rita)
    issue_all(case)
    document = documents_of(case).first()
    role_groups_ensure()
    adam.is_staff = True
    adam.save()
    client.force_login(adam)
    response = client.post(
        reverse("admin:documents_document_changelist"),
        {"action": "regenerate", "_selected_action": [document.pk]},
        follow=True,
    )
    assert "1 份已签发的文书不能重新生成" in response.content.decode()
    assert not AuditEvent.objects.filter(action="document_regenerate").exists()


# -- stored files that are gone or altered --------------------------------------------------------------------------


@pytest.fixture
def issued(computer, alice, henry, rita):
    from ..cases import issue_all

    case = verified(computer, alice, henry, rita)
    issue_all(case)
    return case, documents_of(case).get(kind="report_form")


@pytest.mark.parametrize("damage", ["missing", "altered"])
def test_a_stored_pdf_that_is_gone_or_altered_is_never_served_and_is_explained(client, issued, alice, damage):
    case, document = issued
    path = document.file.path
    if damage == "missing":
        import os

        os.remove(path)
    else:
        data = bytearray(open(path, "rb").read())
        data[len(data) // 2] ^= 1
        open(path, "wb").write(bytes(data))

    public = Client().get(f"/verify/{document.uuid}/")
    assert public.status_code == 200
    expected = "存档文件缺失" if damage == "missing" else "存档文件与签发时的摘要不一致"
    assert expected in public.content.decode()

    client.force_login(alice)
    download = client.get(f"/cases/{case.pk}/documents/{document.uuid}/")
    assert download.status_code == 503 and "%PDF" not in download.content.decode(errors="ignore")
    assert "文书暂时无法提供" in download.content.decode()

    with pytest.raises(CommandError) as exc:
        call_command("check_stored_files", stdout=io.StringIO())
    assert "1 个有问题" in str(exc.value)
    event = AuditEvent.objects.get(action="stored_files_check")
    assert event.data["count"] == 1 and event.data["problems"][0]["name"].startswith(document.number)


def test_an_altered_evidence_file_is_not_served(client, alice):
    [asset] = import_ledger(alice, ledger_row())
    upload_evidence(alice, asset, AttachmentKind.STOP_STATEMENT)
    attachment = asset.attachments.get()
    with open(attachment.file.path, "ab") as f:
        f.write(b"appended")
    client.force_login(alice)
    response = client.get(reverse("register:attachment_download", args=[attachment.pk]))
    assert response.status_code == 503 and "佐证材料暂时无法提供" in response.content.decode()


def test_the_check_passes_and_says_how_many_files_it_read(issued, alice):
    out = io.StringIO()
    call_command("check_stored_files", stdout=out)
    checked = Document.objects.filter(status=DocumentStatus.ISSUED).count() + 2  # the computer's two evidence files
    assert f"共核对 {checked} 个文件，全部完好。" in out.getvalue()
    assert not AuditEvent.objects.filter(action="stored_files_check").exists()
