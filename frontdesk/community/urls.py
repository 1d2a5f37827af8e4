"""Community pages, under /w/<ws>/community/."""

from django.urls import path

from frontdesk.core import sections

app_name = "community"

urlpatterns = [
    # Until this app's own pages land: what the section will do.
    path("", sections.section, {"name": "community"}, name="index"),
]
