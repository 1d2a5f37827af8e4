"""Views never translate an action's refusal themselves: the middleware does.

A sweep over every views module (a `views.py`, or any module in a `views/` package):
an `except ...NotAllowed` there would be a second way to answer a refusal.
"""

from __future__ import annotations

import ast
from pathlib import Path

import frontdesk

ROOT = Path(frontdesk.__file__).parent


def _view_modules() -> list[Path]:
    found = [*ROOT.rglob("views.py"), *ROOT.rglob("views/*.py"), *ROOT.rglob("*_view.py")]
    return sorted(p for p in set(found) if "tests" not in p.parts)


def _names(node: ast.expr | None) -> list[str]:
    if node is None:
        return []
    if isinstance(node, ast.Tuple):
        return [name for element in node.elts for name in _names(element)]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, ast.Name):
        return [node.id]
    return []


def test_the_sweep_finds_the_view_modules():
    names = {str(p.relative_to(ROOT)) for p in _view_modules()}
    assert {"core/views.py", "accounts/views.py", "inbox/views/changes.py"} <= names


def test_no_views_module_catches_not_allowed():
    offenders = [
        f"{path.relative_to(ROOT)}:{handler.lineno}"
        for path in _view_modules()
        for handler in ast.walk(ast.parse(path.read_text()))
        if isinstance(handler, ast.ExceptHandler) and "NotAllowed" in _names(handler.type)
    ]
    assert offenders == [], "let ActionErrorMiddleware answer NotAllowed"
