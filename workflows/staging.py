"""Files chosen on a form that failed to submit: kept (staged) per user and per form, so the next submit needs no
second choosing. A staged file is checked as every evidence file is (content sniffed, size capped) before it is kept,
and is handed back to the form as the field's initial value: the form, the view and the step's service then treat
it exactly like a file chosen this time, and it becomes evidence only when the submit succeeds."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core.storage import StoredFileError, stored_check
from core.uploads import sniff_upload

from .models import StagedUpload

# A field the user ticks to drop a staged file instead of sending it again.
UNSTAGE = "unstage"
# Staged files nobody came back for are removed after this long.
KEEP_DAYS = 7
CANNOT_STAGE = "所选文件未能暂存，请重新选择文件后再提交。"


def _delete_files(names: list[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        default_storage.delete(name)


def _delete(rows) -> None:
    names = [row.file.name for row in rows if row.file]
    StagedUpload.objects.filter(pk__in=[row.pk for row in rows]).delete()
    transaction.on_commit(lambda: _delete_files(names))


class Staging:
    """The staged files of one user on one form (`scope`: "task:<task id>" or "report:<asset id>")."""

    def __init__(self, *, user, scope: str):
        self.user, self.scope = user, scope
        self.problems: list[str] = []

    def _rows(self):
        return StagedUpload.objects.filter(user=self.user, scope=self.scope).order_by("pk")

    def discard(self, ids: list[str]) -> None:
        """Drops the staged files the user ticked 移除."""
        pks = [int(pk) for pk in ids if str(pk).isdigit()]
        if pks:
            _delete(list(self._rows().filter(pk__in=pks)))

    def initial(self) -> dict:
        """The staged files as the form's initial values, each re-checked against the digest it was kept with."""
        initial = {}
        for row in self._rows():
            try:
                stored_check(row.file, row.sha256)
            except StoredFileError:
                self.problems.append(f"暂存的文件“{row.original_name}”已失效，请重新选择。")
                _delete([row])
                continue
            initial[row.field] = UploadedFile(
                file=row.file.open("rb"), name=row.original_name, content_type=row.content_type, size=row.size
            )
        return initial

    def keep(self, form, files) -> None:
        """After a failed submit: stages each file chosen this time whose own field has no error (a refused file is
        not kept, and its field says why). A file for a field replaces the one staged for it before."""
        _prune()
        for name in evidence_fields(form):
            upload = files.get(name)
            if not upload or name in form.errors:
                continue
            try:
                self._stage(name, upload)
            except (OSError, ValidationError):
                form.add_error(name, CANNOT_STAGE)

    def _stage(self, name: str, upload) -> None:
        sniffed = sniff_upload(upload, max_bytes=settings.PANHUO["ATTACHMENT_MAX_BYTES"])
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        _delete(list(self._rows().filter(field=name)))
        row = StagedUpload(
            user=self.user, scope=self.scope, field=name, original_name=upload.name[-255:],
            content_type=sniffed.content_type, size=upload.size, sha256=digest.hexdigest(),
        )  # fmt: skip
        row.file.save(f"staged.{sniffed.extension}", upload, save=False)
        row.save()

    def done(self) -> None:
        """After a successful submit: the staged files are evidence now (or were not wanted); their copies go."""
        _delete(list(self._rows()))

    def show(self, form) -> None:
        """Marks the form's fields with their staged file for the page (已暂存：文件名（可移除））. A staged file stands
        for a required one, so the browser is not told to insist on a new choice."""
        staged = {row.field: row for row in self._rows()}
        for name, row in staged.items():
            if name in form.fields:
                form.fields[name].staged = row
        if staged:
            form.use_required_attribute = False


def _prune() -> None:
    _delete(list(StagedUpload.objects.filter(staged_at__lt=timezone.now() - timedelta(days=KEEP_DAYS))[:100]))


def evidence_fields(form) -> list[str]:
    """The names of a form's evidence uploads (the fields a staging covers)."""
    from .forms import EvidenceField

    return [name for name, field in form.fields.items() if isinstance(field, EvidenceField)]
