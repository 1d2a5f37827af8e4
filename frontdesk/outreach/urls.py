"""Outreach pages, under /w/<ws>/outreach/."""

from django.urls import path

from frontdesk.core import sections

app_name = "outreach"

urlpatterns = [
    # Until this app's own pages land: what the section will do.
    path("", sections.section, {"name": "outreach"}, name="index"),
]
