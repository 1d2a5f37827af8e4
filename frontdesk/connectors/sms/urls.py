"""Public webhook URLs of SMS channels: what the provider calls, found by webhook key.

The key (SmsChannelConfig.webhook_key) is unguessable and names the channel; the
`To` number never does, since numbers in a Messaging Service pool differ from the
channel's own number.
"""

from django.urls import path

from frontdesk.connectors.sms import views

app_name = "sms"

urlpatterns = [
    path("hooks/sms/<str:key>/", views.inbound, name="inbound"),
    path("hooks/sms/<str:key>/status/", views.status, name="status"),
]
