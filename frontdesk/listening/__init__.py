"""Listening: watches, sources, mentions and alerts (DESIGN.md capability 2)."""
