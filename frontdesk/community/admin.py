"""Community rows in the back office (read and fix by hand; staff use the pages)."""

from django.contrib import admin

from frontdesk.community import models
from frontdesk.core.admin import WorkspaceScopedAdmin

for _model in (
    models.CommunitySettings,
    models.Participant,
    models.SignInCode,
    models.Question,
    models.Choice,
    models.Suggestion,
    models.Vote,
    models.PollVote,
    models.Comment,
    models.Report,
    models.ModerationAction,
    models.Ban,
    models.Announcement,
    models.FanQuestion,
    models.Answer,
    models.Photo,
):
    admin.site.register(_model, WorkspaceScopedAdmin)
