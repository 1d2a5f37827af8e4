"""`frontdesk setup` collects static files only when their sources changed."""

from __future__ import annotations

import os
import threading

import pytest
from django.test import override_settings

from frontdesk.core import static

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture
def sources(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    (source / "app.css").write_text("body { color: #123; }\n")
    (source / "app.js").write_text("console.log('hi');\n")
    root = tmp_path / "collected"
    with override_settings(
        DEBUG=False,
        STATIC_ROOT=root,
        STATICFILES_DIRS=[source],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
            },
        },
    ):
        yield source, root


def test_collects_once_then_only_when_a_source_changes(sources):
    source, root = sources
    assert static.collect() is True
    assert (root / "app.css").read_text() == "body { color: #123; }\n"
    assert (root / "staticfiles.json").exists()
    stamp = (root / static.STAMP).read_text()
    assert "app.css" in stamp

    assert static.collect() is False
    assert (root / static.STAMP).read_text() == stamp

    (source / "app.css").write_text("body { color: #456; }\n")
    # An upgrade writes files later than the last collect (collectstatic itself
    # compares modification times to the second).
    later = os.stat(root / "app.css").st_mtime + 10
    os.utime(source / "app.css", (later, later))
    assert static.collect() is True
    assert (root / "app.css").read_text() == "body { color: #456; }\n"
    assert (root / static.STAMP).read_text() != stamp


def test_a_new_file_or_a_lost_manifest_collects_again(sources):
    source, root = sources
    assert static.collect() is True
    (source / "extra.txt").write_text("new\n")
    assert static.collect() is True
    assert (root / "extra.txt").exists()

    os.remove(root / "staticfiles.json")
    assert static.collect() is True
    assert (root / "staticfiles.json").exists()


def test_setups_sharing_a_folder_collect_it_once(sources, monkeypatch):
    _source, root = sources
    collected: list[bool] = []
    calls: list[str] = []
    real = static.call_command

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(static, "call_command", counting)
    threads = [
        threading.Thread(target=lambda: collected.append(static.collect())) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(collected) == [False, False, False, True]
    assert calls == ["collectstatic"]
    assert (root / "app.js").exists()


def test_an_install_with_fewer_apps_uses_a_folder_collected_with_more(sources, tmp_path):
    """The demo app adds static files: an install without it sharing the folder finds
    everything it needs in the demo's collect (and its manifest), and the demo's setup
    after a plain one collects again."""
    source, root = sources
    extra = tmp_path / "demo-app"
    extra.mkdir()
    (extra / "phone.js").write_text("// the demo phone\n")
    with override_settings(STATICFILES_DIRS=[source, extra]):
        assert static.collect() is True
    assert static.collect() is False  # without the extra folder: a subset
    manifest = (root / "staticfiles.json").read_text()
    assert "phone.js" in manifest and "app.css" in manifest
    with override_settings(STATICFILES_DIRS=[source, extra]):
        assert static.collect() is False
