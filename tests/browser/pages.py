"""What browser tests do on every page: sign in, and check a page fits its width."""

from __future__ import annotations

import re


def sign_in(page, base_url: str, email: str, password: str, *, slug: str | None = "") -> None:
    """Sign in through the login form (its labelled fields and button); then wait for
    the workspace home `/w/<slug>/` (any workspace when `slug` is "", none when None)."""
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    if slug is not None:
        page.wait_for_url(re.compile(rf"/w/{re.escape(slug) if slug else '[^/]+'}/$"))


def no_sideways_scroll(page, name: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page scrolls sideways by {overflow}px"
