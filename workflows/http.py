"""Temporary alias while the supervision pieces land; use assets.http."""

from assets.http import client_ip  # noqa: F401
