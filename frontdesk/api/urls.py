"""API token pages under /w/<ws>/settings/api/ (the JSON API itself is in api.py)."""

from django.urls import path

from frontdesk.api import views

app_name = "api"

urlpatterns = [
    path("", views.tokens, name="tokens"),
    path("<int:pk>/revoke/", views.token_revoke, name="token-revoke"),
]
