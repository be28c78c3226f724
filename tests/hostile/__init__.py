"""Hostile candidate programs and helpers for the sandbox tests (tests/test_sandbox_*.py)."""
