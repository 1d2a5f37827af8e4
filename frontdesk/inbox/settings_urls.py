"""Inbox settings pages, under /w/<ws>/settings/inbox/ (the middleware resolves `ws`)."""

from django.urls import path

from frontdesk.inbox.views import routing
from frontdesk.inbox.views import settings as views

app_name = "inbox_settings"

urlpatterns = [
    path("", views.inbox_settings, name="inbox"),
    path("saved-replies/", views.saved_reply_list, name="saved-replies"),
    path("saved-replies/new/", views.saved_reply_create, name="saved-reply-create"),
    path("saved-replies/preview/", views.saved_reply_preview, name="saved-reply-preview"),
    path("saved-replies/<int:pk>/", views.saved_reply_edit, name="saved-reply-edit"),
    path("saved-replies/<int:pk>/delete/", views.saved_reply_delete, name="saved-reply-delete"),
    path("routing/", routing.routing_rules, name="routing"),
    path("routing/new/", routing.rule_create, name="routing-create"),
    path("routing/test/", routing.rule_tester, name="routing-test"),
    path("routing/<int:pk>/", routing.rule_edit, name="routing-edit"),
    path("routing/<int:pk>/delete/", routing.rule_delete, name="routing-delete"),
    path("routing/<int:pk>/move/", routing.rule_move, name="routing-move"),
    path("routing/available/<int:member>/", routing.availability, name="routing-availability"),
]
