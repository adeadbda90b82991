"""Parts of a step document's frozen context that `documents` builds itself from the asset register (never from
cases: workflows calls these while it freezes a step's context, documents/render.py prints what they return)."""

from collections.abc import Iterable
from decimal import Decimal

from django.utils import timezone

from assets.models import Asset, AssetAttachment


def quantity_text(quantity: Decimal | None, unit: str = "") -> str:
    """The ledger's 数量 with its 计量单位, as people write it: 1.00 栋 -> '1栋', 2.50 吨 -> '2.5吨'."""
    if quantity is None:
        return ""
    number = f"{quantity:f}"
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return f"{number}{unit}"


def evidence_entry(attachment: AssetAttachment) -> dict:
    """One attached file as the document lists it: its kind, the user's file name, when it was uploaded."""
    return {
        "kind": attachment.get_kind_display(),
        "name": attachment.original_name,
        "uploaded_at": timezone.localtime(attachment.uploaded_at).isoformat(timespec="seconds"),
    }


def report_form_context(asset: Asset, evidence: Iterable[AssetAttachment]) -> dict:
    """What the 申报表 adds to a step context: the asset's 数量 and the evidence files attached to the case at 申报
    (in upload order)."""
    attached = sorted(evidence, key=lambda a: (a.uploaded_at, a.pk))
    return {
        "quantity": quantity_text(asset.quantity, asset.unit_of_measure),
        "evidence": [evidence_entry(a) for a in attached],
    }
