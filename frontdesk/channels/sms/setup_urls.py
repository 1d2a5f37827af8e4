"""Setup pages of text-message numbers, mounted at /w/<ws>/settings/channels/sms/ in the
`channels` namespace (frontdesk/channels/urls.py)."""

from django.urls import path

from frontdesk.channels.sms import views

urlpatterns = [
    path("new/", views.sms_create, name="sms-create"),
    path("<int:pk>/", views.sms_detail, name="sms-detail"),
    path("<int:pk>/options/", views.sms_options, name="sms-options"),
    path("<int:pk>/connection/", views.sms_connection, name="sms-connection"),
    path("<int:pk>/replies/", views.sms_replies, name="sms-replies"),
    path("<int:pk>/replies/preview/", views.sms_preview, name="sms-preview"),
    path("<int:pk>/length/", views.text_length, name="sms-length"),
    path("<int:pk>/keywords/", views.keyword_add, name="sms-keyword-add"),
    path("<int:pk>/keywords/<int:keyword_pk>/", views.keyword_edit, name="sms-keyword-edit"),
    path(
        "<int:pk>/keywords/<int:keyword_pk>/delete/",
        views.keyword_delete,
        name="sms-keyword-delete",
    ),
    path("<int:pk>/poster/", views.sms_poster, name="sms-poster"),
]
