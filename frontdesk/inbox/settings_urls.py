"""Inbox settings pages, under /w/<ws>/settings/inbox/ (the middleware resolves `ws`)."""

from django.urls import path

from frontdesk.inbox.views import settings as views

app_name = "inbox_settings"

urlpatterns = [
    path("", views.inbox_settings, name="inbox"),
    path("saved-replies/", views.saved_reply_list, name="saved-replies"),
    path("saved-replies/new/", views.saved_reply_create, name="saved-reply-create"),
    path("saved-replies/preview/", views.saved_reply_preview, name="saved-reply-preview"),
    path("saved-replies/<int:pk>/", views.saved_reply_edit, name="saved-reply-edit"),
    path("saved-replies/<int:pk>/delete/", views.saved_reply_delete, name="saved-reply-delete"),
]
