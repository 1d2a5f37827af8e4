"""Team and profile pages under /w/<ws>/settings/ (the middleware resolves `ws`)."""

from django.urls import path

from frontdesk.accounts import views

app_name = "accounts"

urlpatterns = [
    path("team/", views.team_page, name="team"),
    path("team/invite/", views.invite, name="invite"),
    path("team/<int:pk>/role/", views.member_role, name="member-role"),
    path("team/<int:pk>/deactivate/", views.member_deactivate, name="member-deactivate"),
    path("team/<int:pk>/reactivate/", views.member_reactivate, name="member-reactivate"),
    path("team/invitations/<int:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("team/invitations/<int:pk>/resend/", views.invitation_resend, name="invitation-resend"),
    path("profile/", views.profile, name="profile"),
    path("profile/preview/", views.profile_preview, name="profile-preview"),
]
