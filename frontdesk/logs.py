"""Readable structured logs: one line per event, `key=value` pairs after the message.

Pass context with `logger.info("inbound stored", extra={"channel": "sms", "event_id": 7})`;
FRONTDESK_LOG_FORMAT=json switches to JSON lines for log shippers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def _quote(value: object) -> str:
    text = str(value)
    if not text or any(ch in text for ch in ' ="'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        parts = [when[:-4] + "Z", f"{record.levelname:<7}", record.name, record.getMessage()]
        extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
        line = " ".join(parts)
        if extras:
            line += "  " + " ".join(f"{k}={_quote(v)}" for k, v in sorted(extras.items()))
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line
