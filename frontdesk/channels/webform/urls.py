"""Public web form URLs, mounted at /f/ (no sign-in, no workspace membership)."""

from django.urls import path

from frontdesk.channels.webform import views

app_name = "webform"

# The converter is named `slug`, not `ws`: CurrentWorkspaceMiddleware would take a
# `ws` argument as a staff page and ask for a sign-in.
urlpatterns = [
    path("<slug:slug>/", views.contact_form, name="form"),
    path("<slug:slug>/embed/", views.contact_form_embed, name="embed"),
]
