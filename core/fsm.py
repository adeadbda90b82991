"""The one module the FSM engine is imported through, so it can be swapped without touching models."""

from django_fsm import (
    ConcurrentTransition,
    ConcurrentTransitionMixin,
    FSMField,
    TransitionNotAllowed,
    can_proceed,
    has_transition_perm,
    transition,
)

__all__ = [
    "ConcurrentTransition",
    "ConcurrentTransitionMixin",
    "FSMField",
    "TransitionNotAllowed",
    "can_proceed",
    "has_transition_perm",
    "transition",
]
