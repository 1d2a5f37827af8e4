"""Listening pages, under /w/<ws>/listening/."""

from django.urls import path

from frontdesk.core import sections

app_name = "listening"

urlpatterns = [
    # Until this app's own pages land: what the section will do.
    path("", sections.section, {"name": "listening"}, name="index"),
]
