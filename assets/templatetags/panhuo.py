"""Formatting as county staff read it (core.formatting): 2026年11月21日, 1,234,567.00 元, areas in m² or 亩."""

from decimal import Decimal

from django import template

from core import formatting

register = template.Library()


@register.filter
def yuan(value) -> str:
    return formatting.yuan(value)


@register.filter
def money(value) -> str:
    """Thousands separators without the unit, for table columns headed 元."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def cn_date(value) -> str:
    return formatting.cn_date(value)


@register.filter
def area(asset) -> str:
    """An asset's area in its category's unit (land in 亩, with m² beside it)."""
    return formatting.area_text(asset.area_m2, asset.category.area_unit)


@register.filter
def sqm(value) -> str:
    return formatting.area_text(value)


@register.filter
def quantity(value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
