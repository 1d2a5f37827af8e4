"""Community's staff pages, under /w/<ws>/community/ (public pages: public_urls)."""

from django.urls import path

from frontdesk.community.views import staff

app_name = "community"

urlpatterns = [
    path("", staff.index, name="index"),
    path("q/<int:number>/", staff.question, name="question"),
    path("q/<int:number>/merge/", staff.merge, name="merge"),
    path("q/<int:number>/close/", staff.close, name="close"),
    path("s/<int:pk>/status/", staff.set_status, name="status"),
    path("s/<int:pk>/comment/", staff.staff_comment, name="staff-comment"),
    path("moderation/", staff.queue, name="queue"),
    path("moderation/<str:kind>/<int:pk>/", staff.decide, name="decide"),
    path("bans/<int:pk>/lift/", staff.lift, name="lift-ban"),
    path("settings/", staff.community_settings, name="settings"),
    path("contributors/", staff.contributors, name="contributors"),
    path("answers/", staff.fan_answers, name="answers"),
    path("answers/<int:pk>/accept/", staff.accept_answer, name="accept-answer"),
    path("photos/", staff.photo_queue, name="photos"),
    # Before photo-file, whose <str:size> would take "decide".
    path("photos/<int:pk>/decide/", staff.decide_photo, name="photo-decide"),
    path("photos/<int:pk>/<str:size>/", staff.photo_file, name="photo-file"),
]
