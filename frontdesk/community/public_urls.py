"""Public community pages, at /c/<workspace slug>/ (no staff sign-in)."""

from django.urls import path

from frontdesk.community.views import public

app_name = "community_public"

urlpatterns = [
    path("", public.home, name="home"),
    path("conduct/", public.conduct, name="conduct"),
    path("signin/", public.signin_page, name="signin"),
    path("signin/code/", public.signin_code, name="signin-code"),
    path("signin/link/<str:token>/", public.signin_link, name="signin-link"),
    path("signout/", public.signout, name="signout"),
    path("q/<int:number>/", public.question, name="question"),
    path("q/<int:number>/suggest/", public.suggest, name="suggest"),
    path("q/<int:number>/poll/", public.poll_vote, name="poll-vote"),
    path("q/<int:number>/embed/", public.embed, name="embed"),
    path("s/<int:pk>/", public.suggestion_page, name="suggestion"),
    path("s/<int:pk>/vote/", public.vote, name="vote"),
    path("s/<int:pk>/comment/", public.comment, name="comment"),
    path("flag/", public.flag, name="flag"),
    path("ask/", public.ask_list, name="ask"),
    path("ask/<int:pk>/", public.fan_question, name="fan-question"),
    path("photos/", public.photos, name="photos"),
    path("photos/<int:pk>/<str:size>/", public.photo_file, name="photo-file"),
]
