"""Stand-in (the channel branch's version wins at merge; keep the include below).

Mounted at /w/<ws>/settings/channels/email/ in the `channels` namespace.
"""

from django.urls import include, path

urlpatterns = [
    path("imap/", include("frontdesk.channels.email.imap_urls")),
]
