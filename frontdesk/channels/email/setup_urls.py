"""Setup pages of email channels, mounted at /w/<ws>/settings/channels/email/ in the
`channels` namespace (frontdesk/channels/urls.py)."""

from django.urls import include, path

from frontdesk.channels.email import views

urlpatterns = [
    path("new/", views.email_create, name="email-create"),
    path("<int:pk>/", views.email_detail, name="email-detail"),
    path("message/<int:message_pk>/original/", views.email_original, name="email-original"),
    path("message/<int:message_pk>/move/", views.email_move, name="email-move"),
    path(
        "undeliverable/<int:pk>/clear/",
        views.email_undeliverable_clear,
        name="email-undeliverable-clear",
    ),
    path("imap/", include("frontdesk.channels.email.imap_urls")),
]
