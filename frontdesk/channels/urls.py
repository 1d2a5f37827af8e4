"""Settings → Channels, under /w/<ws>/settings/channels/ (the middleware resolves `ws`).

The list and the on/off switch are shared; each installed channel kind adds its own
setup pages under `<kind>/` in this namespace (`channels:sms-detail`).
"""

from django.urls import include, path

from frontdesk.channels import views
from frontdesk.inbox import kinds

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("<int:pk>/active/", views.channel_active, name="active"),
] + [
    path(f"{kind.kind}/", include(kind.setup_urls))
    for kind in kinds.installed().values()
    if kind.setup_urls
]
