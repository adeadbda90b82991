"""Formatting as county staff read it: 2026年11月21日, 1,234,567.00 元, areas in ㎡ or 亩."""

from decimal import Decimal

from django import template
from django.utils import timezone

from assets.models import AreaUnit, sqm_to_mu

register = template.Library()


@register.filter
def yuan(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f} 元"


@register.filter
def money(value) -> str:
    """Thousands separators without the unit, for table columns headed 元."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def cn_date(value) -> str:
    if not value:
        return "—"
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        value = timezone.localtime(value)
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def area(asset) -> str:
    """An asset's area in its category's unit (land in 亩, with ㎡ beside it)."""
    if asset.area_m2 is None:
        return "—"
    if asset.category.area_unit == AreaUnit.MU:
        return f"{sqm_to_mu(asset.area_m2):,.2f} 亩（{asset.area_m2:,.2f} ㎡）"
    return f"{asset.area_m2:,.2f} ㎡"


@register.filter
def sqm(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f} ㎡"


@register.filter
def quantity(value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
