"""Helpers shared by tests/ and bench/ (both import them as `support`, the root conftest.py puts tests/ on
sys.path): no test file imports another."""
