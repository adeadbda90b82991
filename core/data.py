"""Plain data for JSON columns and frozen document contexts."""

import datetime
import uuid
from decimal import Decimal
from typing import Any


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it, readably: decimals, dates and UUIDs as text, rows by id and name."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal | datetime.date | uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "pk"):
        return {"id": value.pk, "name": str(value)}
    return str(value)
