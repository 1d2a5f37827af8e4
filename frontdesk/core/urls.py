"""Workspace pages, all under /w/<ws>/ (CurrentWorkspaceMiddleware resolves `ws`)."""

from django.urls import path

from frontdesk.core import sections, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/new/", views.contact_create, name="contact-create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact-detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/identities/", views.identity_add, name="identity-add"),
    path("contacts/<int:pk>/consent/", views.contact_consent, name="contact-consent"),
    path("contacts/<int:pk>/merge/", views.contact_merge, name="contact-merge"),
    path("identities/<int:pk>/remove/", views.identity_remove, name="identity-remove"),
    path("settings/", views.settings_index, name="settings"),
    path("settings/workspace/", views.workspace_settings, name="workspace-settings"),
]

# Section landing pages of apps not installed yet; each later app takes its own URL over.
section_patterns = [path("insights/", sections.section, {"name": "insights"}, name="insights")]
