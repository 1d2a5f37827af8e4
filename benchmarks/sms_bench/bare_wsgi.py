"""A plain WSGI callable answering "ok": what granian itself costs, with no Django."""

from __future__ import annotations

BODY = b"ok"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
