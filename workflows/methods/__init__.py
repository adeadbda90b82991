"""盘活方式: each declared once, in its own module (issue 13 §1). Adding a method is one declaration here, one document
template (documents/templates/documents/<document>.html) and its tests; tests/workflows/test_methods.py fails if one
is missing. What a county may change (which methods a category and sub-type offer) is data: MethodAvailability."""

from . import (  # noqa: F401
    auction,
    concession,
    conversion,
    entrusted_operation,
    equity_investment,
    exchange,
    free_transfer,
    land_follow_up,
    land_recovery,
    lease,
    open_sharing,
    reallocate,
    scrap,
)
from .base import (
    AREA,
    COUNTERPARTY_CODE,
    CYCLE_CHOICES,
    DATE,
    LONG_TEXT,
    MONEY,
    PAYMENT_CYCLE,
    PERCENT,
    PROCEDURE_REASON,
    REGISTRY,
    RENT_STEP,
    TEXT,
    ContractTerms,
    Evidence,
    Field,
    Method,
    Outcome,
    Procedure,
    Receiver,
    Tally,
    all_methods,
    choices,
    condition,
    decode,
    encode,
    field_label,
    get,
    unjustified_procedure_message,
)

__all__ = [
    "AREA", "COUNTERPARTY_CODE", "CYCLE_CHOICES", "DATE", "LONG_TEXT", "MONEY", "PAYMENT_CYCLE", "PERCENT",
    "PROCEDURE_REASON", "REGISTRY", "RENT_STEP", "TEXT", "ContractTerms", "Evidence", "Field", "Method", "Outcome",
    "Procedure", "Receiver", "Tally", "all_methods", "choices", "condition", "decode", "encode", "field_label", "get",
    "unjustified_procedure_message",
]  # fmt: skip
