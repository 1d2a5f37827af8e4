"""Background tasks of the live app."""

from __future__ import annotations

import logging
from typing import Any

from huey.contrib.djhuey import task

from frontdesk.live.publish import publish

logger = logging.getLogger(__name__)


@task()
def announce(workspace_id: int, event_type: str, data: dict[str, Any]) -> bool:
    """Publish a live event from a worker process (the layer crosses processes)."""
    delivered = publish(workspace_id, event_type, data)
    logger.info(
        "live event announced",
        extra={"workspace": workspace_id, "event": event_type, "delivered": delivered},
    )
    return delivered
