"""Websocket URLs, served by the ASGI process only (see frontdesk/asgi.py)."""

from django.urls import path

from frontdesk.live.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/", LiveConsumer.as_asgi()),  # type: ignore[arg-type]  # Channels' URLRouter takes ASGI apps
]
