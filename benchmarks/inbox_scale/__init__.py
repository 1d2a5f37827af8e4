"""Helpers for benchmarks/inbox_at_scale.py: synthetic data, bulk loading, serving, timing."""
