"""Outreach's models."""
