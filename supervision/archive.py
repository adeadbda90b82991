"""The archive package (一资产一档案): one asset's signed PDFs, evidence files, audit trail and ledger record in a ZIP
under a manifest of SHA-256 hashes signed with the system's certificate; bulk packages of many assets as a Celery
job; and the check that a package is whole, unchanged and ours."""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import io
import json
import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from assets.models import Asset, Category, Organization, Role, User
from assets.selectors import SupervisionScope, supervision_scope
from audit.models import CHAINED_FIELDS, AuditEvent
from audit.services import audit_record
from core.jobs import enqueue_on_commit
from documents.models import DocumentStatus
from documents.services import documents_of, verify_url
from workflows.models import CaseState
from workflows.trail import event_label

from .models import ArchiveBatch, ArchiveScope, JobStatus

FORMAT = "panhuo-archive/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.p7s"
CHUNK = 1 << 20
# A manifest is a few KB per asset; anything far larger is not ours and is not read into memory.
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
# What the audit trail's hash covers (AuditEvent.chained_content): trail.json carries these keys as they were chained.
TRAIL_HEADERS = [
    "序号", "时间", "操作人", "代理对象", "单位", "角色", "操作", "处置事项", "原状态", "新状态", "录入内容",
    "IP", "摘要",
]  # fmt: skip
LEDGER_HEADERS = ["项目", "内容"]


class ArchiveError(Exception):
    """A package could not be built; the message says why, in Chinese."""


# -- writing ------------------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def safe_name(name: str, *, limit: int = 120) -> str:
    """A file name that is one path component on every system: no separators, no control or reserved characters,
    not hidden, not too long (the extension is kept when it is cut)."""
    name = _UNSAFE.sub("_", name).strip(" .") or "file"
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: limit - len(ext) - 1] + "." + ext
        else:
            name = name[:limit]
    return name


class _PackageWriter:
    """A ZIP written entry by entry, each hashed as it goes in; `finish` adds the signed manifest of them all."""

    def __init__(self, out: IO[bytes], when: datetime.datetime):
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6)
        self.date_time = timezone.localtime(when).timetuple()[:6]
        self.files: list[dict] = []
        self._paths: set[str] = set()

    def unique(self, path: str) -> str:
        if path not in self._paths:
            return path
        stem, dot, ext = path.rpartition(".")
        if not dot or "/" in ext:
            stem, dot, ext = path, "", ""
        n = 2
        while f"{stem}-{n}{dot}{ext}" in self._paths:
            n += 1
        return f"{stem}-{n}{dot}{ext}"

    def _info(self, path: str, size: int, compress: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        info.file_size = size  # decides ZIP64 for big entries before the first byte is written
        return info

    def add_bytes(self, path: str, data: bytes) -> dict:
        return self.add_stream(path, io.BytesIO(data), size=len(data))

    def add_stream(self, path: str, src: IO[bytes], *, size: int = 0, compress: bool = True) -> dict:
        path = self.unique(path)
        digest, written = hashlib.sha256(), 0
        with self.zip.open(self._info(path, size, compress), "w") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
                written += len(chunk)
        self._paths.add(path)
        entry = {"path": path, "sha256": digest.hexdigest(), "size": written}
        self.files.append(entry)
        return entry

    def abort(self) -> None:
        # The output is thrown away; closed now, the ZIP does not try to finish it when collected.
        with contextlib.suppress(Exception):
            self.zip.close()

    def finish(self, manifest: dict) -> bytes:
        from documents.signing import sign_detached

        manifest["files"] = self.files
        data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
        for path, content in ((MANIFEST, data), (SIGNATURE, sign_detached(data))):
            with self.zip.open(self._info(path, len(content), True), "w") as dst:
                dst.write(content)
        self.zip.close()
        return data


def _person(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": str(user), "organization": str(user.organization or "")}


def _asset_head(asset: Asset) -> dict:
    return {"id": asset.pk, "code": asset.code, "name": asset.name}


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


def _csv(headers: list[str], rows: Iterable[list]) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese right; a cell that Excel would run as a formula is quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return "\ufeff".encode() + out.getvalue().encode()


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _role_label(role: str) -> str:
    return "、".join(Role(r).label if r in Role.values else r for r in role.split(",") if r)


def _state_label(state: str) -> str:
    return CaseState(state).label if state in CaseState.values else state


def trail_events(asset: Asset) -> QuerySet[AuditEvent]:
    """The asset's events in chain order: those recorded on the asset and those of its cases."""
    return (
        AuditEvent.objects.filter(Q(asset=asset) | Q(case__asset=asset))
        .select_related("actor", "acting_for", "organization", "case")
        .order_by("seq", "pk")
    )


def _trail(asset: Asset) -> tuple[bytes, bytes]:
    events, rows = [], []
    for event in trail_events(asset).iterator(chunk_size=500):
        chained = event.chained_content()
        record = {key: chained[key] for key in CHAINED_FIELDS}
        record["hash"] = event.hash
        record.update(
            at_local=_local(event.at),
            actor_name=str(event.actor or ""),
            acting_for_name=str(event.acting_for or ""),
            organization_name=str(event.organization or ""),
            role_label=_role_label(event.role),
            action_label=event_label(event.action, method=event.case.method if event.case_id else ""),
            from_state_label=_state_label(event.from_state),
            to_state_label=_state_label(event.to_state),
        )
        events.append(record)
        rows.append(
            [
                event.seq,
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                record["actor_name"],
                record["acting_for_name"],
                record["organization_name"],
                record["role_label"],
                record["action_label"],
                f"#{event.case_id}" if event.case_id else "",
                record["from_state_label"],
                record["to_state_label"],
                json.dumps(event.data, ensure_ascii=False, sort_keys=True) if event.data else "",
                event.ip or "",
                event.hash,
            ]
        )
    trail = {
        "format": FORMAT,
        "asset": _asset_head(asset),
        "chain": {
            "hash": "SHA-256 over the UTF-8 JSON of the chained fields, keys sorted, separators ',' and ':', "
            "non-ASCII kept; each event's prev_hash is the hash of the event before it on the county's chain",
            "fields": list(CHAINED_FIELDS),
        },
        "events": events,
    }
    return json.dumps(trail, ensure_ascii=False, indent=2).encode(), _csv(TRAIL_HEADERS, rows)


def _ledger_value(value) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return _local(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # an import batch's UUID, and whatever a field adds later: its text, never a 500


def _ledger_display(asset: Asset, field: models.Field) -> str:
    if field.choices:
        return str(getattr(asset, f"get_{field.name}_display")())
    if field.is_relation:
        related = getattr(asset, field.name)
        return "" if related is None else str(related)
    value = getattr(asset, field.attname)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    if isinstance(value, datetime.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def _ledger(asset: Asset) -> tuple[bytes, bytes]:
    fields = [
        {
            "name": field.name,
            "label": str(field.verbose_name),
            "value": _ledger_value(getattr(asset, field.attname)),
            "display": _ledger_display(asset, field),
        }
        for field in Asset._meta.concrete_fields
    ]
    ledger = {"format": FORMAT, "asset": _asset_head(asset), "fields": fields}
    return (
        json.dumps(ledger, ensure_ascii=False, indent=2).encode(),
        _csv(LEDGER_HEADERS, ([f["label"], f["display"]] for f in fields)),
    )


def _open_stored(field_file, what: str) -> IO[bytes]:
    try:
        return field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise ArchiveError(f"{what}的存档文件不在存储中（{field_file.name}），无法生成档案包。") from exc


def archive_write(asset: Asset, out: IO[bytes], *, generated_by: User | None = None) -> dict:
    """Writes the asset's package to `out` (a seekable binary file), streaming every file through, and returns its
    manifest: the issued documents of every case, the evidence files, the trail and the ledger record."""
    asset = Asset.objects.select_related("category", "subtype", "holding_unit", "created_by", "import_batch").get(
        pk=asset.pk
    )
    now = timezone.now()
    package = _PackageWriter(out, now)
    try:
        return _asset_package(package, asset, now=now, generated_by=generated_by)
    except BaseException:
        package.abort()
        raise


def _asset_package(package: _PackageWriter, asset: Asset, *, now: datetime.datetime, generated_by: User | None) -> dict:
    documents = []
    for case in asset.cases.order_by("pk"):
        for document in documents_of(case).filter(status=DocumentStatus.ISSUED).order_by("requested_at", "pk"):
            name = safe_name(f"{document.number}-{document.title}-v{document.version}.pdf")
            what = f"文书“{document.number}”"
            with _open_stored(document.file, what) as src:
                entry = package.add_stream(f"documents/{name}", src, size=document.size)
            if entry["sha256"] != document.sha256:
                # Signing a file that no longer matches what was issued would launder the change.
                raise ArchiveError(
                    f"{what}的存档文件与签发时的摘要不一致，可能已被改动；未生成档案包，请联系系统管理员。"
                )
            documents.append(
                {
                    "path": entry["path"],
                    "number": document.number,
                    "title": document.title,
                    "version": document.version,
                    "case": case.pk,
                    "uuid": str(document.uuid),
                    "issued_at": _local(document.issued_at),
                    "verify_url": verify_url(document),
                }
            )
    for attachment in asset.attachments.order_by("pk"):
        name = safe_name(f"{attachment.pk}-{attachment.original_name}")
        with _open_stored(attachment.file, f"材料“{attachment.original_name}”") as src:
            package.add_stream(f"materials/{name}", src, size=attachment.size)
    for path, data in zip(("trail.json", "trail.csv"), _trail(asset), strict=True):
        package.add_bytes(path, data)
    for path, data in zip(("ledger.json", "ledger.csv"), _ledger(asset), strict=True):
        package.add_bytes(path, data)
    manifest = {
        "format": FORMAT,
        "kind": "asset",
        "asset": {**_asset_head(asset), "holding_unit": asset.holding_unit.name},
        "generated_at": _local(now),
        "generated_by": _person(generated_by),
        "documents": documents,
    }
    package.finish(manifest)
    return manifest


def archive_build(asset: Asset, *, generated_by: User | None = None) -> bytes:
    """The asset's package as bytes (for tests and small assets; the views stream it through a temporary file)."""
    out = io.BytesIO()
    archive_write(asset, out, generated_by=generated_by)
    return out.getvalue()


def file_sha256(f: IO[bytes]) -> tuple[str, int]:
    """SHA-256 and size of a file from its start; leaves it at its start again."""
    f.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := f.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    f.seek(0)
    return digest.hexdigest(), size


# -- bulk packages ------------------------------------------------------------------------------------------------


def _quarter_range(year: int, quarter: int) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
    end = (
        datetime.datetime(year + 1, 1, 1, tzinfo=tz)
        if quarter == 4
        else datetime.datetime(year, 3 * quarter + 1, 1, tzinfo=tz)
    )
    return start, end


def _scope_of(params: dict) -> SupervisionScope:
    within = params["within"]
    organization = Organization.objects.get(pk=within["organization"]) if within.get("organization") else None
    return SupervisionScope(within["level"], organization)


def archive_batch_assets(*, scope: str, params: dict) -> QuerySet[Asset]:
    """The assets of a bulk package: the chosen unit, category or quarter, never beyond the requester's scope as it
    was when they asked (kept in params["within"])."""
    qs = Asset.objects.all()
    q = _scope_of(params).asset_q()
    if q is not None:
        qs = qs.filter(q)
    if scope == ArchiveScope.UNIT:
        qs = qs.filter(holding_unit_id=params["unit"])
    elif scope == ArchiveScope.CATEGORY:
        qs = qs.filter(category_id=params["category"])
    elif scope == ArchiveScope.QUARTER:
        start, end = _quarter_range(params["year"], params["quarter"])
        # 办理记录: a case's events in the quarter (a ledger edit or an evidence upload alone is not a handling).
        events = AuditEvent.objects.filter(asset=OuterRef("pk"), case__isnull=False, at__gte=start, at__lt=end)
        qs = qs.filter(Exists(events))
    else:
        raise ValueError(f"unknown archive scope: {scope}")
    return qs.order_by("code")


def archive_batch_request(
    *,
    user: User,
    scope: str,
    unit: Organization | None = None,
    category: Category | None = None,
    year: int | None = None,
    quarter: int | None = None,
    ip: str | None = None,
) -> ArchiveBatch:
    """Records a request for a bulk package, puts it on the trail and queues its job once the request commits.
    Raises ValidationError (Chinese) when the choice is incomplete, outside the user's scope, or holds no asset."""

    within = supervision_scope(user)
    if within is None:
        raise ValidationError("您没有查看资产档案的权限。")
    params: dict[str, Any] = {
        "within": {"level": within.level, "organization": within.organization.pk if within.organization else None}
    }
    if scope == ArchiveScope.UNIT:
        if unit is None:
            raise ValidationError({"unit": "请选择持有单位。"})
        if within.level == "unit" and unit.pk != within.organization.pk:
            raise ValidationError({"unit": "只能导出本单位的资产档案。"})
        params["unit"] = unit.pk
        title = f"{unit.name} 资产档案"
    elif scope == ArchiveScope.CATEGORY:
        if category is None:
            raise ValidationError({"category": "请选择资产类别。"})
        params["category"] = category.pk
        title = f"{category.name} 资产档案"
    elif scope == ArchiveScope.QUARTER:
        if year is None or quarter is None:
            raise ValidationError({"quarter": "请填写年度和季度。"})
        if quarter not in (1, 2, 3, 4):
            raise ValidationError({"quarter": "季度只能是第1至第4季度。"})
        params.update(year=year, quarter=quarter)
        title = f"{year}年第{quarter}季度有办理记录的资产档案"
    else:
        raise ValidationError({"scope": "请选择导出范围：按单位、按类别或按季度。"})
    if within.level != "county":
        title += f"（{within.label}可查看的范围）"
    if not archive_batch_assets(scope=scope, params=params).exists():
        raise ValidationError("所选范围内没有您可查看的资产，未生成档案包。")
    with transaction.atomic():
        batch = ArchiveBatch.objects.create(requested_by=user, scope=scope, params=params, title=title[:200])
        audit_record(
            user=user, action="export", ip=ip,
            data={"what": "archive_batch", "scope": scope, "title": batch.title, "batch": str(batch.pk)},
        )  # fmt: skip
        enqueue_on_commit("supervision.tasks.archive_batch_build_task", str(batch.pk))
    return batch


def archive_batch_build(*, batch_id: str) -> ArchiveBatch | None:
    """Builds a bulk package once: the job claims the pending row (a second delivery finds it taken and does
    nothing), writes each asset's package into the outer ZIP through temporary files, so memory stays bounded by one
    chunk whatever the number of assets, and reports its progress on the row. On an error the row says FAILED, why,
    and the error is raised again for the worker's log."""
    claimed = ArchiveBatch.objects.filter(pk=batch_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING, heartbeat_at=timezone.now()
    )
    if not claimed:
        return None
    batch = ArchiveBatch.objects.select_related("requested_by").get(pk=batch_id)
    try:
        asset_ids = list(archive_batch_assets(scope=batch.scope, params=batch.params).values_list("pk", flat=True))
        batch.total, batch.done = len(asset_ids), 0
        batch.save(update_fields=["total", "done"])
        now = timezone.now()
        with tempfile.TemporaryFile() as out:
            package = _PackageWriter(out, now)
            try:
                _batch_package(package, batch, asset_ids, now=now)
            except BaseException:
                package.abort()
                raise
            batch.sha256, batch.size = file_sha256(out)
            batch.file.save(f"{batch.pk.hex}.zip", File(out, name="archive.zip"), save=False)
        batch.status, batch.finished_at, batch.message = JobStatus.DONE, timezone.now(), ""
        batch.save(update_fields=["file", "sha256", "size", "status", "finished_at", "message"])
    except Exception as exc:
        reason = str(exc) if isinstance(exc, ArchiveError) else f"系统错误（{type(exc).__name__}: {exc}）"
        ArchiveBatch.objects.filter(pk=batch.pk).update(
            status=JobStatus.FAILED, message=f"生成失败：{reason}"[:2000], finished_at=timezone.now()
        )
        raise
    return batch


def archive_batches_sweep(*, stalled_after: timedelta = timedelta(minutes=10)) -> int:
    """Queues again the batches whose job was lost: pending for some minutes (the message never arrived), or running
    with no progress for `stalled_after` (the worker was killed). Taking a stalled batch back is a conditional update
    on the heartbeat it was seen with, so a job that is in fact alive and beats meanwhile keeps its batch."""
    from .tasks import archive_batch_build_task

    requeued = 0
    for batch in ArchiveBatch.lost(
        pending=[JobStatus.PENDING], running=[JobStatus.RUNNING], stalled_after=stalled_after
    ):
        if not batch.take_back(status=JobStatus.PENDING, done=0):
            continue
        archive_batch_build_task.delay(str(batch.pk))
        requeued += 1
    return requeued


def _batch_package(package: _PackageWriter, batch: ArchiveBatch, asset_ids: list[int], *, now) -> None:
    packages = []
    for asset in _iter_assets(asset_ids):
        with tempfile.TemporaryFile() as inner:
            archive_write(asset, inner, generated_by=batch.requested_by)
            _sha, size = file_sha256(inner)
            # The inner ZIP is compressed already: stored as it is.
            entry = package.add_stream(f"{safe_name(asset.code)}.zip", inner, size=size, compress=False)
        packages.append({"path": entry["path"], "asset": _asset_head(asset)})
        batch.done += 1
        ArchiveBatch.objects.filter(pk=batch.pk).update(done=batch.done, heartbeat_at=timezone.now())
    package.finish(
        {
            "format": FORMAT,
            "kind": "batch",
            "batch": {"id": str(batch.pk), "title": batch.title, "scope": batch.scope},
            "generated_at": _local(now),
            "generated_by": _person(batch.requested_by),
            "packages": packages,
        }
    )


def _iter_assets(asset_ids: list[int], chunk: int = 200):
    for i in range(0, len(asset_ids), chunk):
        by_id = Asset.objects.in_bulk(asset_ids[i : i + chunk])
        for pk in asset_ids[i : i + chunk]:
            if pk in by_id:
                yield by_id[pk]


# -- verifying ----------------------------------------------------------------------------------------------------


@dataclass
class ArchiveCheck:
    valid: bool
    message: str  # Chinese: the first problem (which file, what is wrong), or what was verified
    files: int = 0  # files verified, those inside the inner packages of a batch included
    packages: int = 0  # inner packages verified (a batch)
    kind: str = ""  # "asset" or "batch"
    path: str = ""  # the entry the problem is in


def archive_verify(source: bytes | str | Path | IO[bytes]) -> ArchiveCheck:
    """Checks a package: the manifest's signature holds and is the system's, by a certificate of our root; every
    listed file is there with its size and SHA-256; nothing unlisted is there; and for a bulk package, each inner
    package passes the same check. Stops at the first problem."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        with zipfile.ZipFile(source) as zf:
            return _verify_zip(zf, top=True)
    except FileNotFoundError:
        return ArchiveCheck(False, f"找不到文件：{source}。")
    except (zipfile.BadZipFile, OSError, EOFError):
        return ArchiveCheck(False, "这不是有效的 ZIP 档案包（文件无法打开或已损坏）。")


def _read_limited(zf: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    with zf.open(name) as f:
        data = f.read(limit + 1)
    return None if len(data) > limit else data


def _verify_zip(zf: zipfile.ZipFile, *, top: bool, prefix: str = "") -> ArchiveCheck:
    """`prefix` names the outer package in the messages about an inner one."""

    def fail(message: str, path: str = "") -> ArchiveCheck:
        return ArchiveCheck(False, message, path=path)

    names = zf.namelist()
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return fail(f"ZIP 中有两个同名的文件 {prefix}{name}：签署后被添加了文件。", name)
        seen.add(name)
    for required, what in ((MANIFEST, "清单"), (SIGNATURE, "清单签名")):
        if required not in seen:
            return fail(f"缺少{what}文件 {prefix}{required}，无法确认档案包的完整性。", required)
    try:
        manifest_bytes = _read_limited(zf, MANIFEST, MANIFEST_MAX_BYTES)
        signature = _read_limited(zf, SIGNATURE, 1024 * 1024)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError):
        return fail(f"清单 {prefix}{MANIFEST} 或其签名已损坏，无法读取。", MANIFEST)
    if manifest_bytes is None or signature is None:
        return fail(f"清单 {prefix}{MANIFEST} 或其签名大得异常，不是本系统生成的。", MANIFEST)

    from documents.signing import verify_detached

    verdict = verify_detached(manifest_bytes, signature)
    if not verdict.valid:
        return fail(f"清单 {prefix}{MANIFEST} 的签名无效：{verdict.message}", MANIFEST)
    try:
        manifest = json.loads(manifest_bytes)
        files = manifest["files"]
        listed = [(str(f["path"]), str(f["sha256"]), int(f["size"])) for f in files]
    except (ValueError, KeyError, TypeError):
        return fail(f"清单 {prefix}{MANIFEST} 无法解析。", MANIFEST)
    kind = manifest.get("kind")
    if manifest.get("format") != FORMAT or kind not in ("asset", "batch") or (kind == "batch" and not top):
        return fail(f"清单 {prefix}{MANIFEST} 不是本系统的档案包格式（{FORMAT}）。", MANIFEST)
    listed_paths = {path for path, _, _ in listed}
    if len(listed_paths) != len(listed) or listed_paths & {MANIFEST, SIGNATURE}:
        return fail(f"清单 {prefix}{MANIFEST} 中的文件列表有误。", MANIFEST)

    verified, packages = 0, 0
    for path, sha256, size in listed:
        if path not in seen:
            return fail(f"文件 {prefix}{path} 缺失：清单中列出，档案包中没有。", path)
        problem = None
        try:
            if kind == "batch":
                # An inner package: copied to a temporary file (hashed on the way) and checked in turn.
                with tempfile.TemporaryFile() as inner:
                    problem = _entry_check(zf, path, sha256, size, prefix, copy_to=inner)
                    if problem is None:
                        with zipfile.ZipFile(inner) as inner_zip:
                            result = _verify_zip(inner_zip, top=False, prefix=f"{prefix}{path} 中的 ")
                        if not result.valid:
                            return ArchiveCheck(False, result.message, path=f"{path}/{result.path}")
                        verified += result.files
                        packages += 1
            else:
                problem = _entry_check(zf, path, sha256, size, prefix)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            problem = f"文件 {prefix}{path} 已损坏，无法读取（{type(exc).__name__}）。"
        if problem is not None:
            return fail(problem, path)
        verified += 1
    for name in names:
        if name not in listed_paths and name not in (MANIFEST, SIGNATURE):
            return fail(f"文件 {prefix}{name} 不在清单中：签署后被添加。", name)

    signed = f"{verdict.signer}，签署于 {_local(verdict.signed_at)}" if verdict.signed_at else verdict.signer
    if kind == "batch":
        message = (
            f"校验通过：清单签名有效（{signed}），{packages} 个资产档案包及其中的文件齐全、与清单一致，"
            f"共校验 {verified} 个文件。"
        )
    else:
        message = f"校验通过：清单签名有效（{signed}），清单所列 {verified} 个文件齐全、与清单一致。"
    return ArchiveCheck(True, message, files=verified, packages=packages, kind=kind)


def _entry_check(
    zf: zipfile.ZipFile, path: str, sha256: str, size: int, prefix: str, copy_to: IO[bytes] | None = None
) -> str | None:
    digest, read = hashlib.sha256(), 0
    with zf.open(path) as f:
        # Never more than one byte past the listed size: a swollen entry is already wrong.
        while read <= size and (chunk := f.read(min(CHUNK, size + 1 - read))):
            digest.update(chunk)
            read += len(chunk)
            if copy_to is not None:
                copy_to.write(chunk)
    if read != size:
        actual = "超过此数" if read > size else f" {read} 字节"
        return f"文件 {prefix}{path} 的大小与清单不符（清单 {size} 字节，实际{actual}）：已被改动。"
    if digest.hexdigest() != sha256:
        return f"文件 {prefix}{path} 的 SHA-256 与清单不符：已被改动。"
    if copy_to is not None:
        copy_to.seek(0)
    return None
