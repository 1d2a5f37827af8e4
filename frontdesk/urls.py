from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve as serve_media

from frontdesk import health
from frontdesk.api.api import api
from frontdesk.core import views as core_views
from frontdesk.core.urls import section_patterns
from frontdesk.inbox import kinds
from frontdesk.inbox import media as inbox_media

# The one folder of MEDIA_ROOT served without sign-in (the upload_to of core.Membership.photo
# and outreach.SenderIdentity.photo: faces customers see).
STAFF_PHOTOS = "staff"


def staff_photo(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
    """A file of MEDIA_ROOT/staff. The folder is read on each request, not when this
    module is imported, so it is always the one the photos were saved in."""
    return serve_media(request, path, document_root=str(Path(settings.MEDIA_ROOT) / STAFF_PHOTOS))


admin.site.site_header = "Frontdesk back office"
admin.site.site_title = "Frontdesk admin"

# Each installed channel kind's provider webhooks (frontdesk/inbox/kinds.py) come first:
# the busiest URLs of all (a burst of texts), resolved without walking the pages' patterns.
urlpatterns: list[URLPattern | URLResolver] = [
    path(f"hooks/{kind.kind}/", include(kind.webhook_urls))
    for kind in kinds.installed().values()
    if kind.webhook_urls
]
urlpatterns += [
    path("", core_views.root, name="home"),
    path("", include("frontdesk.accounts.urls")),
    path("w/<slug:ws>/", include("frontdesk.core.urls")),
    path("w/<slug:ws>/inbox/", include("frontdesk.inbox.urls")),
    path("w/<slug:ws>/listening/", include("frontdesk.listening.urls")),
    path("w/<slug:ws>/outreach/", include("frontdesk.outreach.urls")),
    path("w/<slug:ws>/community/", include("frontdesk.community.urls")),
    # The community's public pages (no staff sign-in; customers use a light sign-in).
    path("c/<slug:community>/", include("frontdesk.community.public_urls")),
    path("w/<slug:ws>/", include(section_patterns)),
    path("w/<slug:ws>/settings/", include("frontdesk.accounts.workspace_urls")),
    path("w/<slug:ws>/settings/api/", include("frontdesk.api.urls")),
    path("w/<slug:ws>/settings/channels/", include("frontdesk.channels.urls")),
    path("w/<slug:ws>/settings/inbox/", include("frontdesk.inbox.settings_urls")),
    path("healthz", health.healthz, name="healthz"),
    # Pictures of staff replies for an MMS provider to fetch (signed, expiring).
    path("m/<str:token>", inbox_media.outbound_media, name="outbound-media"),
    # Outreach recipients' pages (unsubscribe, preferences, opt-in): signed links.
    path("o/", include("frontdesk.outreach.public_urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]

# Each installed channel kind's public pages.
for _kind in kinds.installed().values():
    if _kind.public_urls:
        _prefix, _module = _kind.public_urls
        urlpatterns.append(path(_prefix, include(_module)))

if apps.is_installed("frontdesk.demo"):
    # The demo's phone simulator and Twilio stand-in (FRONTDESK_DEMO only).
    urlpatterns.append(path("demo/", include("frontdesk.demo.phone.urls")))

if settings.SERVE_MEDIA:
    # Staff photos (shown to customers beside a reply, so public) for a single-machine
    # install; at scale the proxy serves MEDIA_ROOT/staff (see the README). Only that
    # folder: customers' files stay behind the signed-in attachment view.
    urlpatterns.append(path(f"media/{STAFF_PHOTOS}/<path:path>", staff_photo))
