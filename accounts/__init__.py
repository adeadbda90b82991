"""Signing in: the login page, lockouts after repeated failures, the second factor, sessions and private pages."""
