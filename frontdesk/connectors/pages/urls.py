"""Settings → Channels, under /w/<ws>/settings/channels/ (the middleware resolves `ws`)."""

from django.urls import path

from frontdesk.connectors.pages import views

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("<int:pk>/active/", views.channel_active, name="active"),
    path("sms/new/", views.sms_create, name="sms-create"),
    path("sms/<int:pk>/", views.sms_detail, name="sms-detail"),
    path("sms/<int:pk>/options/", views.sms_options, name="sms-options"),
    path("sms/<int:pk>/connection/", views.sms_connection, name="sms-connection"),
    path("sms/<int:pk>/replies/", views.sms_replies, name="sms-replies"),
    path("sms/<int:pk>/replies/preview/", views.sms_preview, name="sms-preview"),
    path("sms/<int:pk>/length/", views.text_length, name="sms-length"),
    path("sms/<int:pk>/keywords/", views.keyword_add, name="keyword-add"),
    path("sms/<int:pk>/keywords/<int:keyword_pk>/", views.keyword_edit, name="keyword-edit"),
    path(
        "sms/<int:pk>/keywords/<int:keyword_pk>/delete/",
        views.keyword_delete,
        name="keyword-delete",
    ),
    path("sms/<int:pk>/poster/", views.sms_poster, name="sms-poster"),
]
