"""One router per domain; `frontdesk.api.api` mounts them under /api/v1/."""
