"""Dates, money and areas as county staff read them (DESIGN.md: 2026年11月21日, 1,234,567.00 元, areas in m² or 亩),
the same on every surface: the pages (assets.templatetags.panhuo), the signed documents (documents.render), the
dashboard and the xlsx reports."""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

# 1 亩 = 10000/15 m².
SQM_PER_MU = Decimal(10000) / Decimal(15)
# The area unit a category's areas are read in (assets.models.AreaUnit's values).
SQM, MU = "m2", "mu"


def decimal_or_none(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def sqm_to_mu(area_m2: Decimal | None) -> Decimal | None:
    if area_m2 is None:
        return None
    return (Decimal(area_m2) / SQM_PER_MU).quantize(Decimal("0.01"))


def mu_to_sqm(area_mu: Decimal | None) -> Decimal | None:
    if area_mu is None:
        return None
    return (Decimal(area_mu) * SQM_PER_MU).quantize(Decimal("0.01"))


def cn_date(value: Any, *, blank: str = "—") -> str:
    """2026年11月21日 for a date; with the Beijing time for a moment."""
    if not value:
        return blank
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def yuan(value: Any, *, blank: str = "—") -> str:
    """'3600000' -> '3,600,000.00 元'; anything unparsable is printed as it came."""
    number = decimal_or_none(value)
    if number is None:
        return blank if value in (None, "") else str(value)
    return f"{number.quantize(Decimal('0.01'), ROUND_HALF_UP):,} 元"


def area_text(area_m2: Any, unit: str = SQM, *, blank: str = "—") -> str:
    """An area in its category's unit: land in 亩 with m² beside it, everything else in m²."""
    number = decimal_or_none(area_m2)
    if number is None:
        return blank if area_m2 in (None, "") else str(area_m2)
    number = number.quantize(Decimal("0.01"), ROUND_HALF_UP)
    if unit == MU:
        return f"{sqm_to_mu(number):,.2f} 亩（{number:,.2f} m²）"
    return f"{number:,.2f} m²"
