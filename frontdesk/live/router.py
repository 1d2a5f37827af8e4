"""Keep channels-lite's queue tables in their own SQLite file (the `channels` alias).

channels-lite ships a router, but it asks the configured channel layer for its
database, which breaks when the layer is Redis; this one needs no layer.
"""

from __future__ import annotations

from typing import Any

CHANNELS_APP = "channels_lite"
CHANNELS_DB = "channels"


class ChannelLayerRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        return CHANNELS_DB if model._meta.app_label == CHANNELS_APP else None

    db_for_write = db_for_read

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if app_label == CHANNELS_APP:
            return db == CHANNELS_DB
        return db != CHANNELS_DB
