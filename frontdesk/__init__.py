"""Frontdesk: a self-hosted customer connection hub for libraries and small services."""

__version__ = "0.1.0"
