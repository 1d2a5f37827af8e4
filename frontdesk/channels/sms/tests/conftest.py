"""The SMS channel's own tests start with nothing remembered about webhook keys."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_channel_lookup():
    """Each test starts with nothing remembered about webhook keys (lookup.py)."""
    from frontdesk.channels.sms import lookup

    lookup.forget()
    yield
    lookup.forget()
