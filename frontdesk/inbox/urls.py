"""Staff inbox pages, under /w/<ws>/inbox/ (CurrentWorkspaceMiddleware resolves `ws`).

Conversations are addressed by their per-workspace number; fragments (row, header,
timeline, message, sidebar) are what an open page fetches to stay current.
"""

from django.urls import path

from frontdesk.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox_list, name="list"),
    path("sidebar/", views.sidebar, name="sidebar"),
    path("search/", views.search, name="search"),
    path("bulk/", views.bulk, name="bulk"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("contacts/<int:pk>/write/", views.write_to_contact, name="contact-write"),
    path("<int:number>/", views.conversation, name="conversation"),
    path("<int:number>/row/", views.conversation_row, name="conversation-row"),
    path("<int:number>/header/", views.conversation_header, name="conversation-header"),
    path("<int:number>/timeline/", views.timeline, name="conversation-timeline"),
    path("<int:number>/messages/<int:pk>/", views.message_fragment, name="message"),
    path("<int:number>/messages/<int:pk>/retry/", views.retry, name="message-retry"),
    path(
        "<int:number>/messages/<int:pk>/triage/",
        views.correct_triage,
        name="message-triage",
    ),
    path("<int:number>/reply/", views.reply, name="conversation-reply"),
    path("<int:number>/note/", views.note, name="conversation-note"),
    path("<int:number>/assign/", views.assign, name="conversation-assign"),
    path("<int:number>/snooze/", views.snooze, name="conversation-snooze"),
    path("<int:number>/resolve/", views.resolve, name="conversation-resolve"),
    path("<int:number>/reopen/", views.reopen, name="conversation-reopen"),
    path("<int:number>/pending/", views.pending, name="conversation-pending"),
    path("<int:number>/priority/", views.priority, name="conversation-priority"),
    path("<int:number>/tag/", views.tag, name="conversation-tag"),
    path("<int:number>/untag/", views.untag, name="conversation-untag"),
]
