"""Public webhook URLs of SMS channels, mounted at /hooks/sms/: what the provider calls,
found by webhook key.

The key (SmsChannelConfig.webhook_key) is unguessable and names the channel; the
`To` number never does, since numbers in a Messaging Service pool differ from the
channel's own number.
"""

from django.urls import path

from frontdesk.channels.sms import webhooks

app_name = "sms"

urlpatterns = [
    path("<str:key>/", webhooks.inbound, name="inbound"),
    path("<str:key>/status/", webhooks.status, name="status"),
]
