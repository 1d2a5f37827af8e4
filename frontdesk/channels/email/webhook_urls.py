"""Public webhook URLs of email channels, mounted at /hooks/email/: a provider's inbound
and tracking webhooks, found by the channel's unguessable webhook key.

    /hooks/email/<key>/<provider>/inbound/    mail received (anymail inbound)
    /hooks/email/<key>/<provider>/tracking/   delivered / bounced / complained
"""

from django.urls import path

from frontdesk.channels.email import webhooks

app_name = "email"

urlpatterns = [
    path("<str:key>/<str:provider>/inbound/", webhooks.inbound, name="inbound"),
    path("<str:key>/<str:provider>/tracking/", webhooks.tracking, name="tracking"),
]
