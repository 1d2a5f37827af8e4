"""The demo's phone simulator and its stand-in of Twilio's REST API, at /demo/.

Mounted always, answering 404 unless FRONTDESK_DEMO is true (so the URL sweep and
tests see the same URL table as a demo install).
"""

from django.urls import path

from frontdesk.demo import listening_views
from frontdesk.demo.phone import views

app_name = "sms_simulator"

urlpatterns = [
    path("phone/", views.phone, name="phone"),
    path("phone/send/", views.send, name="send"),
    path("phone/thread/", views.thread, name="thread"),
    path("twilio/<path:path>", views.twilio_standin, name="twilio"),
    # The listening demo's locally served feed (frontdesk/demo/listening.py).
    path("listening/feed.xml", listening_views.feed, name="listening-feed"),
]
