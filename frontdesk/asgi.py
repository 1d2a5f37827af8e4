"""ASGI entry point: only the live-update websocket is served here.

Pages, the API and webhooks go through WSGI (frontdesk/wsgi.py): DESIGN.md measured
Django's ASGI handler at about a tenth of the WSGI path for ordinary views, so
`frontdesk serve` and a production proxy send only `/ws/` to this process. The
"http" route stays so a stray request gets a proper Django answer, not a crash.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
# Set Django up before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from frontdesk.live.routing import websocket_urlpatterns  # noqa: E402


async def lifespan(scope, receive, send):
    """Acknowledge startup and shutdown: nothing to prepare, but granian logs an
    error for an app that refuses the lifespan protocol."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The origin check compares host names only (not ports), so the page on :8000
        # may open the socket on :8001 while a page on another site may not; the
        # session cookie is then read like any Django request's.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]
        ),
        "lifespan": lifespan,
    }
)
