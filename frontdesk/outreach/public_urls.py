"""The recipient's pages, under /o/ (no login; signed links)."""

from django.urls import path

from frontdesk.outreach import public_views

app_name = "outreach-public"

urlpatterns = [
    path("unsubscribe/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("preferences/<str:token>/", public_views.preferences, name="preferences"),
    path("confirm/<str:token>/", public_views.confirm, name="confirm"),
    path("click/<str:token>/", public_views.click, name="click"),
    path("open/<str:token>/", public_views.open_pixel, name="open"),
    path("sender-address/<str:token>/", public_views.sender_address, name="sender-address"),
]
