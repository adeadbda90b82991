"""Writes on the register: every change to organizations' ledgers goes through a function here."""

import hashlib
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from audit.changes import changes_between, snapshot
from audit.services import audit_record
from core.errors import DomainError
from core.fsm import ConcurrentTransition
from core.uploads import sniff_upload

from .models import Asset, AssetAttachment, AssetStatus, CategorySubtype, Role, User
from .selectors import asset_can_attach, asset_can_edit, units_user_may_register_for

# What the admin role may do in the Django admin: change the people and the rule tables (by app label and model),
# look at the evidence (the ledger, cases, the trail, documents), never change it.
ADMIN_ROLE_CHANGES = {
    "assets": ("organization", "user", "category", "categorysubtype", "minimumservicelife", "measureunit"),
    "workflows": ("policy", "routingrule", "stepdeadline", "calendarday", "substitution"),
    "supervision": ("target",),
}
ADMIN_ROLE_VIEWS = {
    "assets": ("asset", "assetattachment", "importbatch"),
    "workflows": ("disposalcase",),
    "audit": ("auditevent",),
    "documents": ("document", "documentsequence"),
}


def role_groups_ensure() -> None:
    """Creates the role groups and the admin group's permissions; safe to run any number of times (after each app's
    migrations, so that every app's permissions exist by the end)."""
    with transaction.atomic():
        for role in Role:
            Group.objects.get_or_create(name=role.value)
        admin_group = Group.objects.get(name=Role.ADMIN)
        for app_label, models in ADMIN_ROLE_CHANGES.items():
            admin_group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, content_type__model__in=models)
            )
        for app_label, models in ADMIN_ROLE_VIEWS.items():
            admin_group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, content_type__model__in=models, codename__startswith="view_"
                )
            )


# full_clean() re-assigns every field it cleans; the FSM-protected status refuses that (and needs no cleaning).
PROTECTED_FIELDS = ["status"]


def _check_may_register(*, user: User, unit_id: int) -> None:
    if not units_user_may_register_for(user=user).filter(pk=unit_id).exists():
        raise PermissionDenied("只能登记本单位的资产。")


def asset_create(*, user: User, asset: Asset, ip: str | None = None) -> Asset:
    """Registers a new ledger row for a unit the user keeps the ledger of; the trail keeps what was registered."""
    _check_may_register(user=user, unit_id=asset.holding_unit_id)
    asset.created_by = user
    asset.full_clean(exclude=PROTECTED_FIELDS)
    with transaction.atomic():
        asset.save()
        stored = snapshot(Asset.objects.get(pk=asset.pk))
        audit_record(
            user=user, action="asset_create", asset=asset, organization=asset.holding_unit, ip=ip,
            data={"code": asset.code, "name": asset.name, "changes": changes_between(Asset, {}, stored)},
        )  # fmt: skip
    return asset


def asset_register_received(*, user: User, asset: Asset, source: str, ip: str | None = None) -> Asset:
    """Registers an asset a unit received in a closed disposal (置换: the asset it got in exchange) on that unit's
    ledger. The case's 销号 service has checked that `user` may close it; the ledger's own rules still apply, and the
    trail says where the asset came from."""
    asset.created_by = user
    asset.full_clean(exclude=PROTECTED_FIELDS)
    with transaction.atomic():
        asset.save()
        stored = snapshot(Asset.objects.get(pk=asset.pk))
        audit_record(
            user=user, action="asset_create", asset=asset, organization=asset.holding_unit, ip=ip,
            data={"code": asset.code, "name": asset.name, "source": source,
                  "changes": changes_between(Asset, {}, stored)},
        )  # fmt: skip
    return asset


def asset_convert(
    *, user: User, asset: Asset, new_use: str, subtype: CategorySubtype | None, source: str, ip: str | None = None
) -> Asset:
    """A closed case changed what the asset is for (功能转型): its 备注 says its new use, and its ledger row takes the
    new sub-type of its category where the case gave one. The case's 销号 service has checked that `user` may close
    it; the trail says which case changed it."""
    with transaction.atomic():
        current = Asset.objects.select_for_update().get(pk=asset.pk)
        before = snapshot(current)
        said = f"{source}，现用途为{new_use}。"
        remarks_max = Asset._meta.get_field("remarks").max_length
        current.remarks = "\n".join(p for p in (current.remarks.strip(), said) if p)[-remarks_max:]
        if subtype is not None:
            current.subtype = subtype
        current.full_clean(exclude=PROTECTED_FIELDS)
        current.save(update_fields=["subtype", "remarks", "updated_at"])
        changes = changes_between(Asset, before, snapshot(Asset.objects.get(pk=asset.pk)))
        audit_record(
            user=user, action="asset_change", asset=current, organization=current.holding_unit, ip=ip,
            data={"code": current.code, "name": current.name, "source": source, "changes": changes},
        )  # fmt: skip
    return current


def asset_update(*, user: User, asset: Asset, loaded_at: datetime | None, ip: str | None = None) -> Asset:
    """Saves an edited ledger row; refuses if someone else changed it since the form was loaded. The trail keeps each
    changed field's value before and after (净值 6,000 → 5,500)."""
    if not asset_can_edit(user=user, asset=asset):
        raise PermissionDenied("无权修改该资产。")
    asset.full_clean(exclude=PROTECTED_FIELDS)
    with transaction.atomic():
        current = Asset.objects.select_for_update().get(pk=asset.pk)
        if loaded_at is not None and current.updated_at != loaded_at:
            raise DomainError("该资产已被他人修改，请刷新页面查看最新内容后再修改。")
        before = snapshot(current)
        try:
            asset.save()
        except ConcurrentTransition as exc:
            raise DomainError("该资产已进入处置流程，台账信息不能再修改。") from exc
        changes = changes_between(Asset, before, snapshot(Asset.objects.get(pk=asset.pk)))  # as stored
        if changes:
            audit_record(
                user=user, action="asset_change", asset=asset, organization=asset.holding_unit, ip=ip,
                data={"code": asset.code, "name": asset.name, "changes": changes},
            )  # fmt: skip
    return asset


def attachment_add(
    *,
    user: User,
    asset: Asset,
    upload: UploadedFile,
    kind: str,
    description: str = "",
    on_behalf_of: User | None = None,
    ip: str | None = None,
) -> AssetAttachment:
    """Keeps an evidence file (already checked by content) under a random name, with its SHA-256. A substitute
    uploads `on_behalf_of` the colleague they stand in for: that colleague's right to attach applies."""
    if not asset_can_attach(user=on_behalf_of or user, asset=asset, kind=kind):
        raise PermissionDenied("只有持有单位的经办人可以上传佐证材料。")
    if asset.status == AssetStatus.DISPOSED:
        raise DomainError("资产已处置，不能再上传材料。")
    sniffed = sniff_upload(upload, max_bytes=settings.PANHUO["ATTACHMENT_MAX_BYTES"])
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = AssetAttachment(
        asset=asset,
        kind=kind,
        original_name=upload.name[-255:],
        content_type=sniffed.content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        description=description,
        uploaded_by=user,
    )
    attachment.file.save(f"upload.{sniffed.extension}", upload, save=False)
    with transaction.atomic():
        attachment.save()
        audit_record(
            user=user, acting_for=on_behalf_of, action="evidence_upload", asset=asset, ip=ip,
            data={"kind": attachment.get_kind_display(), "file": attachment.original_name, "size": attachment.size,
                  "sha256": attachment.sha256},
        )  # fmt: skip
    return attachment
