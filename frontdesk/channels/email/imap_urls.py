"""IMAP mailbox pages, mounted at /w/<ws>/settings/channels/email/imap/ in the
`channels` namespace (included by the email channel's setup_urls)."""

from django.urls import path

from frontdesk.channels.email import imap_views as views

urlpatterns = [
    path("channel/<int:pk>/", views.imap_list, name="email-imap-list"),
    path("<int:pk>/", views.imap_detail, name="email-imap-detail"),
    path("<int:pk>/reauthorise/", views.imap_reauthorise, name="email-imap-reauthorise"),
    path("<int:pk>/oauth/", views.imap_oauth_start, name="email-imap-oauth-start"),
    path("oauth/callback/", views.imap_oauth_callback, name="email-imap-oauth-callback"),
    path("<int:pk>/poll/", views.imap_poll_now, name="email-imap-poll"),
    path("<int:pk>/pause/", views.imap_pause, name="email-imap-pause"),
    path("<int:pk>/delete/", views.imap_delete, name="email-imap-delete"),
]
