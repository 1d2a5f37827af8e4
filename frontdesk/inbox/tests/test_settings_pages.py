"""Settings → Inbox and Settings → Saved replies: forms, roles, the clocks they drive."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from frontdesk.core.actions.contacts import create_contact
from frontdesk.inbox.actions import (
    InboxError,
    NotAllowed,
    SavedReplyInvalid,
    create_saved_reply,
    delete_saved_reply,
    inbox_settings_for,
    update_inbox_settings,
    update_saved_reply,
)
from frontdesk.inbox.forms import InboxSettingsForm
from frontdesk.inbox.models import Conversation, InboxSettings, SavedReply
from frontdesk.inbox.service_levels import (
    breach_state,
    business_due_at,
    business_time_between,
    first_response_time,
)

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def url(name: str, **kwargs) -> str:
    return reverse(f"inbox_settings:{name}", kwargs={"ws": "riverside", **kwargs})


def settings_post(**changes) -> dict[str, str]:
    """A complete Settings → Inbox form: Mon–Fri 9–17, 4 h and 2 days, then `changes`."""
    data = {
        "first_response_amount": "4",
        "first_response_unit": "hours",
        "resolution_amount": "16",
        "resolution_unit": "hours",
        "closed_dates": "",
    }
    for day in DAYS[:5]:
        data |= {f"{day}_open": "on", f"{day}_from": "09:00", f"{day}_to": "17:00"}
    data |= changes
    return {k: v for k, v in data.items() if v is not None}


# --- The form --------------------------------------------------------------------------


def test_the_form_turns_friendly_inputs_into_minutes_and_hours():
    form = InboxSettingsForm(
        settings_post(
            first_response_amount="90",
            first_response_unit="minutes",
            sat_open="on",
            sat_from="10:00",
            sat_to="13:00",
            sat_from2="14:00",
            sat_to2="00:00",  # closing at midnight
            closed_dates="2026-12-25, 2026-12-24\n2026-12-25",
        )
    )
    assert form.is_valid(), form.errors
    data = form.cleaned_data
    assert data["first_response_target_minutes"] == 90
    assert data["resolution_target_minutes"] == 16 * 60
    assert data["business_hours"]["mon"] == [["09:00", "17:00"]]
    assert data["business_hours"]["sat"] == [["10:00", "13:00"], ["14:00", "24:00"]]
    assert data["business_hours"]["sun"] == []
    assert data["business_hours"]["closed"] == ["2026-12-24", "2026-12-25"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"tue_to": "08:00"}, "tue_to", "Tuesday: closing time (08:00) must be after opening"),
        ({"wed_to": ""}, "wed_to", "Wednesday: give both an opening and a closing time"),
        (
            {"thu_from2": "12:00", "thu_to2": "18:00"},
            "thu_from2",
            "Thursday: the second opening must start after 17:00",
        ),
        ({"first_response_amount": "0"}, "first_response_amount", "greater than or equal to 1"),
        ({"resolution_amount": "-3"}, "resolution_amount", "greater than or equal to 1"),
        (
            {"resolution_amount": "9000", "resolution_unit": "hours"},
            "resolution_amount",
            "more than a year",
        ),
        ({"closed_dates": "2026-12-25\nChristmas"}, "closed_dates", "Not a date like 2026-12-25"),
        ({"mon_from": "9am"}, "mon_from", "Enter a valid time"),
    ],
)
def test_the_form_explains_what_is_wrong(changes, field, message):
    form = InboxSettingsForm(settings_post(**changes))
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


def test_a_week_with_no_open_day_is_refused_not_read_as_always_open():
    data = settings_post()
    for day in DAYS:
        data.pop(f"{day}_open", None)
    form = InboxSettingsForm(data)
    assert not form.is_valid()
    assert "Open on at least one day" in form.non_field_errors()[0]


def test_the_form_starts_from_the_stored_settings(riverside):
    settings = InboxSettings(
        workspace=riverside,
        first_response_target_minutes=45,
        resolution_target_minutes=2 * 24 * 60,
        business_hours={"mon": [["08:30", "12:00"], ["13:00", "24:00"]], "closed": ["2026-01-01"]},
    )
    initial = InboxSettingsForm.initial_for(settings)
    assert (initial["first_response_amount"], initial["first_response_unit"]) == (45, "minutes")
    assert (initial["resolution_amount"], initial["resolution_unit"]) == (48, "hours")
    assert initial["mon_open"] and not initial["tue_open"]
    assert str(initial["mon_from2"]) == "13:00:00" and str(initial["mon_to2"]) == "00:00:00"
    assert initial["closed_dates"] == "2026-01-01"
    # What the page shows goes back in unchanged.
    again = InboxSettingsForm(
        {
            k: ("on" if v is True else v.strftime("%H:%M") if hasattr(v, "strftime") else v)
            for k, v in initial.items()
            if v not in (False, None)
        }
    )
    assert again.is_valid(), again.errors
    assert again.cleaned_data["business_hours"]["mon"] == settings.business_hours["mon"]


# --- The inbox settings page, per role -------------------------------------------------


def test_an_admin_saves_targets_hours_closed_dates_and_the_sms_sign_off(cast, client_for):
    client = client_for(cast["admin"])
    response = client.post(
        url("inbox"),
        settings_post(sms_sign_with_first_name="on", closed_dates="2026-12-25"),
    )
    assert response.status_code == 302
    stored = InboxSettings.objects.get(workspace=cast["admin"].workspace)
    assert stored.first_response_target_minutes == 240
    assert stored.resolution_target_minutes == 960
    assert stored.business_hours["fri"] == [["09:00", "17:00"]]
    assert stored.business_hours["sat"] == []
    assert stored.business_hours["closed"] == ["2026-12-25"]
    assert stored.sms_sign_with_first_name is True
    page = client.get(url("inbox"))
    assert "Inbox settings saved" in page.content.decode()


def test_invalid_hours_are_shown_and_nothing_is_saved(cast, client_for, riverside):
    before = inbox_settings_for(riverside).business_hours
    response = client_for(cast["owner"]).post(url("inbox"), settings_post(mon_to="08:00"))
    assert response.status_code == 400
    assert "Monday: closing time (08:00) must be after opening time (09:00)." in (
        response.content.decode()
    )
    # What was typed stays in the form.
    assert 'name="mon_to" value="08:00"' in response.content.decode()
    assert inbox_settings_for(riverside).business_hours == before


def test_an_agent_reads_the_inbox_settings_but_cannot_change_them(cast, client_for, riverside):
    client = client_for(cast["agent"])
    page = client.get(url("inbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "only admins and owners can change it" in html
    assert "Save inbox settings" not in html
    assert 'name="mon_from" value="09:00"' in html and "disabled" in html
    response = client.post(url("inbox"), settings_post(first_response_amount="1"))
    assert response.status_code == 403
    assert inbox_settings_for(riverside).first_response_target_minutes == 240


def test_a_moderator_reads_and_an_outsider_gets_nothing(cast, client_for):
    assert client_for(cast["moderator"]).get(url("inbox")).status_code == 200
    assert client_for(cast["moderator"]).post(url("inbox"), settings_post()).status_code == 403
    assert client_for(cast["outsider"]).get(url("inbox")).status_code == 404


def test_the_page_shows_the_workspace_time_zone(cast, client_for, riverside):
    riverside.time_zone = "America/New_York"
    riverside.save()
    html = client_for(cast["agent"]).get(url("inbox")).content.decode()
    assert "America/New_York" in html
    assert "UTC-05:00" in html or "UTC-04:00" in html


def test_the_settings_index_links_both_pages(cast, client_for):
    html = client_for(cast["agent"]).get(reverse("core:settings", args=["riverside"])).content
    assert url("inbox").encode() in html and url("saved-replies").encode() in html


# --- Saved hours drive the service-level clocks ----------------------------------------


def test_saved_hours_and_closed_dates_drive_the_clocks(
    cast, client_for, riverside, make_conversation
):
    riverside.time_zone = "America/New_York"
    riverside.save()
    response = client_for(cast["owner"]).post(
        url("inbox"),
        settings_post(
            first_response_amount="2",
            first_response_unit="hours",
            closed_dates="2026-11-23",  # the Monday after
        ),
    )
    assert response.status_code == 302
    settings = inbox_settings_for(riverside)
    # A message at 16:30 on Friday: 30 minutes that day, the weekend and the closed
    # Monday skipped, the rest from 09:00 on Tuesday.
    friday = local("2026-11-20T16:30")
    due = business_due_at(friday, timedelta(hours=2), hours=settings.business_hours, zone=NEW_YORK)
    assert due == local("2026-11-24T10:30")
    conversation = make_conversation(last_message_at=friday)
    conversation = Conversation.objects.select_related("workspace").get(pk=conversation.pk)
    assert breach_state(conversation, local("2026-11-23T16:00")) == "ok"
    assert breach_state(conversation, local("2026-11-24T10:15")) == "near"  # 105 of 120
    assert breach_state(conversation, local("2026-11-24T10:30")) == "breached"
    conversation.first_response_at = local("2026-11-24T09:15")
    assert first_response_time(conversation) == timedelta(minutes=45)


def test_due_time_and_elapsed_time_agree():
    hours = {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "wed": [["10:00", "24:00"]]}
    start = local("2026-11-16T11:00")  # Monday
    for minutes in (30, 60, 61, 300, 600, 1000):
        due = business_due_at(start, timedelta(minutes=minutes), hours=hours, zone=NEW_YORK)
        elapsed = business_time_between(start, due, hours=hours, zone=NEW_YORK)
        assert elapsed == timedelta(minutes=minutes), minutes
    assert business_due_at(start, timedelta(hours=3), hours={}, zone=NEW_YORK) == (
        start + timedelta(hours=3)
    )


def test_the_action_refuses_bad_closed_dates_and_overlaps(cast, riverside):
    owner = cast["owner"]
    with pytest.raises(InboxError, match="not a date"):
        update_inbox_settings(riverside, by=owner, business_hours={"closed": ["25/12/2026"]})
    with pytest.raises(InboxError, match="overlap"):
        update_inbox_settings(
            riverside, by=owner, business_hours={"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}
        )
    with pytest.raises(NotAllowed):
        update_inbox_settings(riverside, by=cast["agent"], first_response_target_minutes=5)


# --- Saved replies ---------------------------------------------------------------------


def test_unknown_variables_are_refused_before_saving(cast, riverside):
    with pytest.raises(SavedReplyInvalid) as refused:
        create_saved_reply(
            riverside,
            title="Hours",
            body="Hi {{ contact.firstname }}, {first_name}! {{ contact.first_name }",
            by=cast["agent"],
        )
    problems = refused.value.errors["body"]
    assert "{{ contact.firstname }} is not a variable: did you mean {{ contact.first_name }}?" in (
        problems
    )
    assert any("Write {first_name} with two braces" in p for p in problems)
    assert any("missing its braces" in p for p in problems)
    assert not SavedReply.objects.exists()


def test_authors_change_their_own_saved_replies_and_admins_any(cast, riverside):
    mine = create_saved_reply(riverside, title="Hours", body="9 to 5", by=cast["agent"])
    theirs = create_saved_reply(riverside, title="Cards", body="Bring ID", by=cast["owner"])
    update_saved_reply(mine, title="Hours", body="9 to 6", by=cast["agent"])
    with pytest.raises(NotAllowed):
        update_saved_reply(theirs, title="Cards", body="Hacked", by=cast["agent"])
    with pytest.raises(NotAllowed):
        delete_saved_reply(theirs, by=cast["agent"])
    with pytest.raises(NotAllowed):
        update_saved_reply(mine, title="x", body="y", by=cast["moderator"])
    with pytest.raises(NotAllowed):
        update_saved_reply(mine, title="x", body="y", by=cast["outsider"])
    update_saved_reply(mine, title="Opening hours", body="9 to 7", by=cast["admin"])
    delete_saved_reply(theirs, by=cast["admin"])
    assert list(SavedReply.objects.values_list("title", "body")) == [("Opening hours", "9 to 7")]


def test_the_list_searches_filters_and_shows_the_sample_customer(cast, client_for, riverside):
    create_saved_reply(
        riverside, title="Opening hours", body="Hi {{ contact.first_name }}!", by=cast["agent"]
    )
    create_saved_reply(riverside, title="Library cards", body="Bring an ID", by=cast["owner"])
    client = client_for(cast["agent"])
    html = client.get(url("saved-replies")).content.decode()
    assert "Opening hours" in html and "Library cards" in html
    assert "Hi Ana!" in html  # rendered for the sample customer
    html = client.get(url("saved-replies"), {"q": "ID"}).content.decode()
    assert "Library cards" in html and "Opening hours" not in html
    html = client.get(url("saved-replies"), {"author": "me"}).content.decode()
    assert "Opening hours" in html and "Library cards" not in html
    rows = client.get(url("saved-replies"), {"q": "hours"}, HTTP_HX_REQUEST="true")
    assert "<html" not in rows.content.decode() and "Opening hours" in rows.content.decode()


def test_an_agent_creates_then_edits_and_deletes_a_saved_reply_through_the_pages(
    cast, client_for, riverside
):
    client = client_for(cast["agent"])
    response = client.post(
        url("saved-reply-create"),
        {"title": "Renewals", "body": "Hi {{ contact.first_name }}, renewed. {{ me.first_name }}"},
    )
    assert response.status_code == 302
    saved = SavedReply.objects.get(workspace=riverside)
    assert saved.created_by == cast["agent"]
    edit = client.get(url("saved-reply-edit", pk=saved.pk))
    assert "Hi Ana, renewed. Maya" in edit.content.decode()
    client.post(url("saved-reply-edit", pk=saved.pk), {"title": "Renewals", "body": "Done!"})
    saved.refresh_from_db()
    assert saved.body == "Done!"
    assert client.post(url("saved-reply-delete", pk=saved.pk)).status_code == 302
    assert not SavedReply.objects.exists()


def test_the_page_flags_unknown_variables_and_keeps_the_text(cast, client_for):
    body = "Dear {{ customer.name }}, see you soon."
    response = client_for(cast["agent"]).post(
        url("saved-reply-create"), {"title": "Welcome", "body": body}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "{{ customer.name }} is not a variable" in html
    assert "Dear {{ customer.name }}, see you soon." in html  # nothing typed is lost
    assert not SavedReply.objects.exists()


def test_the_live_preview_uses_the_restricted_renderer(cast, client_for):
    client = client_for(cast["agent"])
    body = "Hi {{ contact.first_name }}, I'm {{ me.name }}. " + "{{ me.user.password }}{% debug %}"
    response = client.post(url("saved-reply-preview"), {"body": body})
    html = response.content.decode()
    assert "Hi Ana, I&#x27;m Maya Patel. {% debug %}" in html
    assert "{{ me.user.password }} is not a variable" in html
    assert "md5$" not in html and "sha256" not in html


def test_who_may_manage_saved_replies_on_the_pages(cast, client_for, riverside):
    owners = create_saved_reply(riverside, title="Cards", body="Bring ID", by=cast["owner"])
    agent = client_for(cast["agent"])
    html = agent.get(url("saved-replies")).content.decode()
    assert "Cards" in html and url("saved-reply-edit", pk=owners.pk) not in html
    assert agent.get(url("saved-reply-edit", pk=owners.pk)).status_code == 403
    assert agent.post(url("saved-reply-delete", pk=owners.pk)).status_code == 403
    moderator = client_for(cast["moderator"])
    assert moderator.get(url("saved-replies")).status_code == 200
    assert moderator.get(url("saved-reply-create")).status_code == 403
    assert moderator.post(url("saved-reply-preview"), {"body": "x"}).status_code == 403
    admin = client_for(cast["admin"])
    assert admin.get(url("saved-reply-edit", pk=owners.pk)).status_code == 200
    assert admin.post(url("saved-reply-delete", pk=owners.pk)).status_code == 302
    assert not SavedReply.objects.exists()


def test_another_workspaces_saved_reply_is_not_found(cast, client_for):
    hillview = cast["outsider"].workspace
    theirs = create_saved_reply(hillview, title="Secret", body="x", by=cast["outsider"])
    admin = client_for(cast["admin"])
    assert admin.get(url("saved-reply-edit", pk=theirs.pk)).status_code == 404
    assert admin.post(url("saved-reply-delete", pk=theirs.pk)).status_code == 404
    assert "Secret" not in admin.get(url("saved-replies")).content.decode()
    assert SavedReply.objects.filter(pk=theirs.pk).exists()


def test_the_composer_still_offers_saved_replies_made_on_the_page(
    cast, client_for, make_conversation
):
    conversation = make_conversation(
        contact=create_contact(
            cast["agent"].workspace,
            name="Grace Hopper",
            identities=[("email", "g@example.org")],
            by=None,
        )
    )
    client = client_for(cast["agent"])
    client.post(
        url("saved-reply-create"),
        {"title": "Thanks", "body": "Thanks {{ contact.first_name }}! – {{ me.first_name }}"},
    )
    page = client.get(
        reverse("inbox:conversation", kwargs={"ws": "riverside", "number": conversation.number})
    )
    assert "Thanks Grace! – Maya" in page.content.decode()
