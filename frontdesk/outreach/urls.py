"""Outreach's staff pages, under /w/<ws>/outreach/ (recipients' pages: public_urls)."""

from django.urls import path

from frontdesk.outreach import views

app_name = "outreach"

urlpatterns = [
    path("", views.index, name="index"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_create, name="template-create"),
    path("templates/check/", views.template_check, name="template-check"),
    path("templates/<int:pk>/", views.template_edit, name="template-edit"),
    path("templates/<int:pk>/test/", views.template_test_send, name="template-test-send"),
    path("senders/", views.sender_list, name="senders"),
    path("senders/<int:pk>/", views.sender_edit, name="sender-edit"),
    path("senders/<int:pk>/remove/", views.sender_remove, name="sender-remove"),
    path("senders/<int:pk>/restore/", views.sender_restore, name="sender-restore"),
    path("senders/<int:pk>/verify/", views.sender_verify, name="sender-verify"),
    path("campaigns/new/", views.campaign_create, name="campaign-create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/start/", views.campaign_start, name="campaign-start"),
    path("campaigns/<int:pk>/pause/", views.campaign_pause, name="campaign-pause"),
    path("campaigns/<int:pk>/resume/", views.campaign_resume, name="campaign-resume"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/topics/", views.topic_create, name="topic-create"),
    path("settings/topics/<int:pk>/", views.topic_edit, name="topic-edit"),
    path("imports/", views.import_list, name="imports"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/start/", views.import_start, name="import-start"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import-progress"),
]
