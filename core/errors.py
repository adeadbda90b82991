"""The one domain error, and the one place that shows it.

A service refuses with `DomainError` (the user can fix it: shown on the form) or `NotAllowed` (their role or
organization may not: a 403 page with the reason, wherever it is raised, since it is a PermissionDenied). A view that
runs a service for a form wraps the call in `refusals_on(form)`; after the block the form carries the errors."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError


class DomainError(Exception):
    """A step or a write that may not happen now, with messages the user can act on."""

    def __init__(self, message: str | list[str]):
        self.messages = [message] if isinstance(message, str) else list(message)
        super().__init__("；".join(self.messages))


class NotAllowed(DomainError, PermissionDenied):
    """The user's role or organization may not do this: answered 403 with the reason."""


def errors_onto(form, exc: Exception) -> None:
    """Puts a refusal on the form: field errors next to their fields, the rest on top."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif isinstance(exc, ValidationError):
        form.add_error(None, exc.messages)
    else:
        form.add_error(None, list(getattr(exc, "messages", [str(exc)])))


@contextmanager
def refusals_on(form) -> Iterator[None]:
    """Runs the block; a DomainError or ValidationError ends it and lands on `form`, a NotAllowed goes on to 403."""
    try:
        yield
    except NotAllowed:
        raise
    except (DomainError, ValidationError) as exc:
        errors_onto(form, exc)
