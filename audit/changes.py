"""What changed in a row, as the trail shows it: a snapshot of its fields before and after, and the fields that differ.
Used for every write that is not a step of a case: a ledger row edited by its clerk, a rule table by the admin."""

from datetime import date, datetime
from decimal import Decimal

# Never written to the trail, not even as a hash: the trail is read by supervisors.
SECRET_FIELDS = {"password"}


def shown(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    if isinstance(value, list | tuple):
        return [shown(v) for v in value]
    return str(value)


def snapshot(obj) -> dict:
    """The admin-editable state of a row, as the trail shows it: choices and relations by name, secrets hidden."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in SECRET_FIELDS or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue  # secrets, and the save's own timestamps
        if field.is_relation:
            values[field.name] = shown(getattr(obj, field.name))
        elif field.choices:
            values[field.name] = shown(getattr(obj, f"get_{field.name}_display")())
        else:
            values[field.name] = shown(getattr(obj, field.attname))
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = sorted(str(related) for related in getattr(obj, field.name).all())
    return values


def changes_between(model, before: dict, after: dict) -> dict:
    labels = {f.name: str(f.verbose_name) for f in model._meta.get_fields() if hasattr(f, "verbose_name")}
    return {
        name: {"label": labels.get(name, name), "from": before.get(name), "to": after.get(name)}
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    }
