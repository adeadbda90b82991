"""Helpers every room uses: plain text, and nothing that knows the domain."""
