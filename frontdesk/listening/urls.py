"""Listening pages, under /w/<ws>/listening/."""

from django.urls import path

from frontdesk.listening import views

app_name = "listening"

urlpatterns = [
    path("", views.mention_list, name="index"),
    path("mentions/<int:pk>/status/", views.mention_status, name="mention-status"),
    path("mentions/<int:pk>/reach-out/", views.mention_reach_out, name="mention-reach-out"),
    path("watches/", views.watch_list, name="watches"),
    path("watches/new/", views.watch_create, name="watch-create"),
    path("watches/preview/", views.watch_preview, name="watch-preview"),
    path("watches/<int:pk>/", views.watch_edit, name="watch-edit"),
    path("watches/<int:pk>/delete/", views.watch_delete, name="watch-delete"),
    path("watches/<int:pk>/exclude/", views.watch_exclude, name="watch-exclude"),
    path("accounts/", views.my_accounts, name="accounts"),
    path("accounts/<int:pk>/disconnect/", views.my_account_disconnect, name="account-disconnect"),
    path("sources/", views.source_list, name="sources"),
    path("sources/new/", views.source_create, name="source-create"),
    path("sources/<int:pk>/", views.source_edit, name="source-edit"),
    path("sources/<int:pk>/poll/", views.source_poll, name="source-poll"),
    path("sources/<int:pk>/delete/", views.source_delete, name="source-delete"),
]
