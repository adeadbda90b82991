"""The documents tests walk the same cases as the workflow tests: share their assets."""

from ..workflows.conftest import building, computer, fred  # noqa: F401
