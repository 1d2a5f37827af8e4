"""Settings → Channels: connecting a Twilio number and tuning an SMS channel."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from frontdesk.channels.sms import actions
from frontdesk.channels.sms.models import SmsChannelConfig, SmsKeyword
from frontdesk.connectors.sms.length import sms_length
from frontdesk.inbox.models import Channel, Conversation

pytestmark = pytest.mark.django_db

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 8 + "0123456789abcdef" + "e" * 8
OTHER_TOKEN = "a1" * 16
MG_SID = "MG" + "fedcba9876543210" * 2


def url(name: str, ws: str = "riverside", **kwargs) -> str:
    return reverse(f"channels:{name}", kwargs={"ws": ws, **kwargs})


@pytest.fixture
def sms_channel(cast):
    return actions.create_sms_channel(
        cast["owner"].workspace,
        name="Main desk texts",
        connection=actions.SmsConnection(
            phone_number="+15550104477", account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN
        ),
        by=cast["owner"],
    )


def new_number(**overrides) -> dict[str, str]:
    return {
        "name": "Branch texts",
        "phone_number": "(555) 010-4488",
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "messaging_service_sid": "",
    } | overrides


def errors_of(response) -> str:
    return response.content.decode()


# --- Adding a number -------------------------------------------------------------------------


def test_admin_connects_a_number_as_a_channel_and_its_configuration(cast, client_for):
    client = client_for(cast["admin"])
    response = client.post(
        url("sms-create"),
        new_number(account_sid=" ac" + "0123456789ABCDEF" * 2, messaging_service_sid=MG_SID),
    )
    channel = Channel.objects.get(kind="sms")
    assert response.status_code == 302
    assert response["Location"] == url("sms-detail", pk=channel.pk) + "#connect"
    config = channel.sms_config
    assert channel.workspace == cast["owner"].workspace
    assert channel.name == "Branch texts"
    assert config.workspace == channel.workspace
    assert config.phone_number == "+15550104488"  # read for the workspace's country (US)
    assert config.account_sid == ACCOUNT_SID  # spaces gone, prefix upper, hex lower
    assert config.auth_token == AUTH_TOKEN
    assert config.messaging_service_sid == MG_SID
    assert channel.threading_window_hours == 24
    assert channel.auto_acknowledge is False
    assert len(config.webhook_key) >= 24


def test_a_local_number_is_read_for_the_workspace_country(cast, client_for):
    workspace = cast["owner"].workspace
    workspace.default_country = "GB"
    workspace.save()
    client_for(cast["owner"]).post(url("sms-create"), new_number(phone_number="020 7946 0958"))
    assert SmsChannelConfig.objects.get().phone_number == "+442079460958"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone_number", "call us", "doesn’t look like a phone number"),
        ("phone_number", "12", "doesn’t look like a phone number"),
        ("account_sid", "AC123", "34 expected"),
        ("account_sid", "MG" + "0" * 32, "An Account SID is AC"),
        ("auth_token", "not-a-token", "An Auth Token is 32"),
        ("auth_token", "", "This field is required"),
        ("messaging_service_sid", "MG12", "A Messaging Service SID is MG"),
        ("name", "", "This field is required"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(cast, client_for, field, value, message):
    response = client_for(cast["owner"]).post(url("sms-create"), new_number(**{field: value}))
    assert response.status_code == 400
    assert message in errors_of(response)
    assert not Channel.objects.filter(kind="sms").exists()
    assert not SmsChannelConfig.objects.exists()
    # What was typed is still there, except the secret.
    body = errors_of(response)
    if field != "name":
        assert 'value="Branch texts"' in body
    assert AUTH_TOKEN not in body


def test_the_same_number_cannot_be_connected_twice(cast, client_for, sms_channel):
    response = client_for(cast["owner"]).post(
        url("sms-create"), new_number(phone_number="+1 555 010 4477")
    )
    assert response.status_code == 400
    assert "already connected as “Main desk texts”" in errors_of(response)
    assert Channel.objects.filter(kind="sms").count() == 1


@pytest.mark.parametrize("role", ["agent", "moderator"])
def test_agents_and_moderators_cannot_add_a_number(cast, client_for, role):
    client = client_for(cast[role])
    assert client.get(url("sms-create")).status_code == 403
    assert client.post(url("sms-create"), new_number()).status_code == 403
    assert not Channel.objects.filter(kind="sms").exists()


@pytest.mark.parametrize("role", ["agent", "moderator"])
def test_the_action_itself_refuses_members_who_cannot_manage_channels(cast, role):
    with pytest.raises(actions.NotAllowed):
        actions.create_sms_channel(
            cast["owner"].workspace,
            name="Sneaky",
            connection=actions.SmsConnection(
                phone_number="+15550104400", account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN
            ),
            by=cast[role],
        )
    with pytest.raises(actions.NotAllowed):  # an owner of another workspace
        actions.create_sms_channel(
            cast["owner"].workspace,
            name="Sneaky",
            connection=actions.SmsConnection(
                phone_number="+15550104400", account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN
            ),
            by=cast["outsider"],
        )
    assert not Channel.objects.filter(kind="sms").exists()


# --- The channel list ------------------------------------------------------------------------


def test_the_list_shows_every_channel_with_its_address_and_conversation_count(
    cast, client_for, sms_channel, django_assert_max_num_queries
):
    workspace = cast["owner"].workspace
    form = Channel.objects.create(workspace=workspace, kind="webform", name="Contact form")
    client = client_for(cast["agent"])  # agents may look
    with django_assert_max_num_queries(12):
        response = client.get(url("list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Main desk texts" in body and "+1 555-010-4477" in body
    assert "Contact form" in body and "/f/riverside/" in body
    assert body.count("0 conversations") == 2
    # Agents see no switches and no way to add a number.
    assert url("active", pk=form.pk) not in body
    assert url("sms-create") not in body


def test_the_settings_index_links_to_channels(cast, client_for):
    response = client_for(cast["moderator"]).get(
        reverse("core:settings", kwargs={"ws": "riverside"})
    )
    assert url("list") in response.content.decode()


def test_an_admin_switches_a_channel_off_and_on(cast, client_for, sms_channel):
    client = client_for(cast["admin"])
    response = client.post(url("active", pk=sms_channel.pk), {"active": "off"})
    assert response.status_code == 302
    sms_channel.refresh_from_db()
    assert sms_channel.is_active is False
    client.post(url("active", pk=sms_channel.pk), {"active": "on"})
    sms_channel.refresh_from_db()
    assert sms_channel.is_active is True


def test_an_agent_cannot_switch_a_channel(cast, client_for, sms_channel):
    response = client_for(cast["agent"]).post(url("active", pk=sms_channel.pk), {"active": "off"})
    assert response.status_code == 403
    sms_channel.refresh_from_db()
    assert sms_channel.is_active is True


# --- The SMS channel page --------------------------------------------------------------------


def test_the_page_shows_both_webhook_urls_on_the_public_address(
    cast, client_for, sms_channel, settings
):
    settings.PUBLIC_BASE_URL = "https://desk.riverside.example"
    key = sms_channel.sms_config.webhook_key
    body = client_for(cast["owner"]).get(url("sms-detail", pk=sms_channel.pk)).content.decode()
    inbound = re.search(r'id="hook-inbound" type="text" value="([^"]+)"', body).group(1)
    status = re.search(r'id="hook-status" type="text" value="([^"]+)"', body).group(1)
    assert inbound.startswith("https://desk.riverside.example/")
    assert key in inbound and key in status and inbound != status
    assert inbound.endswith(f"/{key}/") and status.endswith("/status/")
    assert 'data-copy="#hook-inbound"' in body
    assert "Phone Numbers → Manage → Active numbers" in body


def test_a_messaging_service_channel_gets_the_service_instructions(cast, client_for, sms_channel):
    config = sms_channel.sms_config
    config.messaging_service_sid = MG_SID
    config.save()
    body = client_for(cast["owner"]).get(url("sms-detail", pk=sms_channel.pk)).content.decode()
    assert "Messaging → Services" in body and MG_SID in body
    assert "Delivery Status Callback" in body


def test_the_auth_token_never_appears_in_any_page(cast, client_for, sms_channel):
    pk = sms_channel.pk
    SmsKeyword.objects.create(
        workspace=sms_channel.workspace, channel=sms_channel, keyword="HOURS", reply="9 to 5"
    )
    keyword = SmsKeyword.objects.get()
    client = client_for(cast["owner"])
    pages = [
        client.get(url("list")),
        client.get(url("sms-detail", pk=pk)),
        client.get(url("sms-keyword-edit", pk=pk, keyword_pk=keyword.pk)),
        client.post(url("sms-connection", pk=pk), {"phone_number": "nope", "auth_token": ""}),
        client.post(
            url("sms-connection", pk=pk),
            {"phone_number": "nope", "account_sid": ACCOUNT_SID, "auth_token": OTHER_TOKEN},
        ),
        client.post(url("sms-options", pk=pk), {"name": ""}),
        client.post(url("sms-replies", pk=pk), {"help_text": ""}),
        client.post(url("sms-keyword-add", pk=pk), {"keyword": "STOP", "reply": "x"}),
        client.get(url("sms-poster", pk=pk), {"size": "a5"}),
    ]
    for response in pages:
        body = response.content.decode()
        assert AUTH_TOKEN not in body, response.request["PATH_INFO"]
        assert OTHER_TOKEN not in body, response.request["PATH_INFO"]
    # The connection form says how to keep the token instead.
    assert "Leave blank to keep the current token." in pages[1].content.decode()


def test_agents_see_the_channel_but_not_its_credentials_or_controls(cast, client_for, sms_channel):
    response = client_for(cast["agent"]).get(url("sms-detail", pk=sms_channel.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert "(555) 010-4477" in body
    assert sms_channel.sms_config.webhook_key not in body
    assert ACCOUNT_SID not in body
    assert "<fieldset" in body and " disabled>" in body
    assert "Save replies" not in body and "Add keyword" not in body
    assert "Download poster" in body  # front-desk staff print the poster too


def test_a_blank_token_keeps_the_current_one(cast, client_for, sms_channel):
    client = client_for(cast["owner"])
    response = client.post(
        url("sms-connection", pk=sms_channel.pk),
        {"phone_number": "555 010 4499", "account_sid": ACCOUNT_SID, "auth_token": ""},
    )
    assert response.status_code == 302
    config = SmsChannelConfig.objects.get()
    assert config.phone_number == "+15550104499"
    assert config.auth_token == AUTH_TOKEN
    client.post(
        url("sms-connection", pk=sms_channel.pk),
        {"phone_number": "555 010 4499", "account_sid": ACCOUNT_SID, "auth_token": OTHER_TOKEN},
    )
    assert SmsChannelConfig.objects.get().auth_token == OTHER_TOKEN


def test_the_threading_window_is_saved_to_the_channel_settings(cast, client_for, sms_channel):
    client = client_for(cast["admin"])
    response = client.post(
        url("sms-options", pk=sms_channel.pk),
        {"name": "Front desk", "is_active": "on", "threading_window_hours": "6"},
    )
    assert response.status_code == 302
    sms_channel.refresh_from_db()
    assert sms_channel.settings["threading_window_hours"] == 6
    assert sms_channel.threading_window_hours == 6
    assert sms_channel.name == "Front desk"
    assert sms_channel.settings["auto_acknowledge"] is False  # other options kept
    page = client.get(url("sms-detail", pk=sms_channel.pk)).content.decode()
    assert '<option value="6" selected>6 hours</option>' in page
    assert "later texts start a new one" in page


def test_a_window_that_is_not_offered_is_refused(cast, client_for, sms_channel):
    response = client_for(cast["owner"]).post(
        url("sms-options", pk=sms_channel.pk),
        {"name": "Front desk", "is_active": "on", "threading_window_hours": "5"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    sms_channel.refresh_from_db()
    assert sms_channel.name == "Main desk texts"
    assert sms_channel.threading_window_hours == 24


@pytest.mark.parametrize("role", ["agent", "moderator"])
def test_agents_and_moderators_cannot_change_a_channel(cast, client_for, sms_channel, role):
    client = client_for(cast[role])
    pk = sms_channel.pk
    posts = {
        "sms-options": {"name": "Mine", "threading_window_hours": "0"},
        "sms-connection": {
            "phone_number": "+15550104400",
            "account_sid": ACCOUNT_SID,
            "auth_token": OTHER_TOKEN,
        },
        "sms-replies": {"auto_acknowledge": "on", "auto_ack_text": "x", "help_text": "x"},
        "sms-keyword-add": {"keyword": "HOURS", "reply": "9 to 5"},
    }
    for name, data in posts.items():
        assert client.post(url(name, pk=pk), data).status_code == 403, name
    config = SmsChannelConfig.objects.get()
    sms_channel.refresh_from_db()
    assert sms_channel.name == "Main desk texts" and sms_channel.threading_window_hours == 24
    assert config.auth_token == AUTH_TOKEN and config.phone_number == "+15550104477"
    assert not SmsKeyword.objects.exists()


def test_automatic_replies_are_saved(cast, client_for, sms_channel):
    maya = cast["agent"]
    response = client_for(cast["owner"]).post(
        url("sms-replies", pk=sms_channel.pk),
        {
            "auto_acknowledge": "on",
            "on_duty": maya.pk,
            "auto_ack_text": "Hi! {staff_first_name} at {workspace} will reply soon.",
            "after_hours_text": "We're closed; {staff_name} will reply in the morning.",
            "help_text": "{workspace}: text us. STOP to stop.",
        },
    )
    assert response.status_code == 302
    sms_channel.refresh_from_db()
    config = sms_channel.sms_config
    assert sms_channel.auto_acknowledge is True
    assert sms_channel.settings["threading_window_hours"] == 24
    assert config.on_duty == maya
    assert config.auto_ack_text == "Hi! {staff_first_name} at {workspace} will reply soon."


def test_an_unknown_placeholder_or_a_moderator_on_duty_is_refused(cast, client_for, sms_channel):
    client = client_for(cast["owner"])
    data = {
        "auto_acknowledge": "on",
        "auto_ack_text": "Hi {first_name}!",
        "after_hours_text": "Closed.",
        "help_text": "Help.",
    }
    response = client.post(url("sms-replies", pk=sms_channel.pk), data)
    assert response.status_code == 400
    assert "“{first_name}” is not something we can fill in" in response.content.decode()
    response = client.post(
        url("sms-replies", pk=sms_channel.pk),
        data | {"auto_ack_text": "Hi!", "on_duty": cast["moderator"].pk},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    sms_channel.refresh_from_db()
    assert sms_channel.auto_acknowledge is False
    assert sms_channel.sms_config.on_duty is None


def test_the_preview_fills_in_the_staff_member_and_workspace(cast, client_for, sms_channel):
    response = client_for(cast["agent"]).post(
        url("sms-preview", pk=sms_channel.pk),
        {
            "on_duty": cast["agent"].pk,
            "auto_ack_text": "Thanks! {staff_first_name} from {workspace} will text you back.",
            "after_hours_text": "{staff_name} will answer tomorrow.",
            "help_text": "Hi 👋",
        },
    )
    body = response.content.decode()
    assert "Thanks! Maya from Riverside Public Library will text you back." in body
    assert "Maya Patel will answer tomorrow." in body
    assert "(special characters: 70 to a text)" in body
    # With nobody named, the sentence the SMS handling sends instead of a name.
    body = (
        client_for(cast["agent"])
        .post(
            url("sms-preview", pk=sms_channel.pk),
            {"on_duty": "", "auto_ack_text": "Hi, {staff_first_name} here.", "help_text": "x"},
        )
        .content.decode()
    )
    assert "Thanks! Someone from Riverside Public Library will text you back soon." in body
    assert not SmsChannelConfig.objects.filter(after_hours_text__contains="tomorrow").exists()


# --- Keywords ----------------------------------------------------------------------------------


def test_an_admin_adds_edits_and_deletes_a_keyword(cast, client_for, sms_channel):
    client = client_for(cast["admin"])
    pk = sms_channel.pk
    response = client.post(
        url("sms-keyword-add", pk=pk), {"keyword": " hours ", "reply": "9 to 8."}
    )
    assert response.status_code == 302
    row = SmsKeyword.objects.get()
    assert (row.keyword, row.reply, row.is_active, row.workspace) == (
        "HOURS",
        "9 to 8.",
        True,
        sms_channel.workspace,
    )
    page = client.get(url("sms-detail", pk=pk)).content.decode()
    assert "HOURS" in page and "9 to 8." in page

    response = client.post(
        url("sms-keyword-edit", pk=pk, keyword_pk=row.pk), {"keyword": "OPEN", "reply": "9 to 9."}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.keyword, row.reply, row.is_active) == ("OPEN", "9 to 9.", False)

    response = client.post(url("sms-keyword-delete", pk=pk, keyword_pk=row.pk))
    assert response.status_code == 302
    assert not SmsKeyword.objects.exists()


def test_keyword_edit_works_inline_with_htmx(cast, client_for, sms_channel):
    client = client_for(cast["owner"])
    row = actions.add_keyword(sms_channel, keyword="HOURS", reply="9-5", by=cast["owner"])
    edit = url("sms-keyword-edit", pk=sms_channel.pk, keyword_pk=row.pk)
    fragment = client.get(edit, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith(f'<li id="kw-{row.pk}"') and "<form" in fragment
    assert "<html" not in fragment
    fragment = client.post(
        edit, {"keyword": "HOURS", "reply": "9-6", "is_active": "on"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "9-6" in fragment and "is-editing" not in fragment  # back to the plain row
    row.refresh_from_db()
    assert row.reply == "9-6"


@pytest.mark.parametrize(
    "word",
    [
        "STOP",
        "stop",
        "StopAll",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "START",
        "UNSTOP",
        "HELP",
        "INFO",
    ],
)
def test_reserved_words_are_refused_as_keywords(cast, client_for, sms_channel, word):
    response = client_for(cast["owner"]).post(
        url("sms-keyword-add", pk=sms_channel.pk), {"keyword": word, "reply": "Hi"}
    )
    assert response.status_code == 400
    assert f"{word.upper()} is reserved" in response.content.decode()
    assert not SmsKeyword.objects.exists()


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("OPENING HOURS", "One word of letters A–Z and digits"),
        ("ÖFFNUNG", "One word of letters A–Z and digits"),
        ("HOURS!", "One word of letters A–Z and digits"),
        ("", "This field is required"),
    ],
)
def test_keywords_are_one_plain_word(cast, client_for, sms_channel, word, message):
    response = client_for(cast["owner"]).post(
        url("sms-keyword-add", pk=sms_channel.pk), {"keyword": word, "reply": "Hi"}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SmsKeyword.objects.exists()


def test_a_keyword_is_unique_per_channel_in_any_case(cast, client_for, sms_channel):
    client = client_for(cast["owner"])
    client.post(url("sms-keyword-add", pk=sms_channel.pk), {"keyword": "HOURS", "reply": "9-5"})
    response = client.post(
        url("sms-keyword-add", pk=sms_channel.pk), {"keyword": "Hours", "reply": "x"}
    )
    assert response.status_code == 400
    assert "HOURS already has a reply." in response.content.decode()
    assert SmsKeyword.objects.get().reply == "9-5"
    # Another channel may use the same word.
    other = actions.create_sms_channel(
        sms_channel.workspace,
        name="Second",
        connection=actions.SmsConnection(
            phone_number="+15550104400", account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN
        ),
        by=cast["owner"],
    )
    actions.add_keyword(other, keyword="hours", reply="10-4", by=cast["owner"])
    assert SmsKeyword.objects.filter(keyword="HOURS").count() == 2


def test_a_reply_longer_than_1600_characters_is_refused(cast, client_for, sms_channel):
    response = client_for(cast["owner"]).post(
        url("sms-keyword-add", pk=sms_channel.pk), {"keyword": "LONG", "reply": "x" * 1601}
    )
    assert response.status_code == 400
    assert "at most 1600 characters" in response.content.decode()
    assert not SmsKeyword.objects.exists()


def test_the_length_counter_counts_characters_and_segments(cast, client_for, sms_channel):
    response = client_for(cast["owner"]).post(
        url("sms-length", pk=sms_channel.pk), {"field": "reply", "reply": "x" * 161}
    )
    assert "161 / 1,600 characters · 2 texts" in response.content.decode()


@pytest.mark.parametrize(
    ("text", "characters", "segments", "unicode"),
    [
        ("", 0, 0, False),
        ("x" * 160, 160, 1, False),
        ("x" * 161, 161, 2, False),
        ("x" * 306, 306, 2, False),
        ("x" * 307, 307, 3, False),
        ("€" * 80, 80, 1, False),  # the euro sign takes two GSM units
        ("€" * 81, 81, 2, False),
        ("é" * 160, 160, 1, False),  # é is in the GSM alphabet
        ("“quoted”", 8, 1, True),  # curly quotes are not
        ("x" * 69 + "😀", 70, 2, True),  # an emoji is two UTF-16 units: 71 > 70
    ],
)
def test_sms_length(text, characters, segments, unicode):
    length = sms_length(text)
    assert (length.characters, length.segments, length.unicode) == (characters, segments, unicode)


# --- Other workspaces ------------------------------------------------------------------------


def test_another_workspaces_channel_is_not_found(cast, client_for, sms_channel):
    outsider = cast["outsider"]
    theirs = actions.create_sms_channel(
        outsider.workspace,
        name="Hillview texts",
        connection=actions.SmsConnection(
            phone_number="+15550109999", account_sid=ACCOUNT_SID, auth_token=OTHER_TOKEN
        ),
        by=outsider,
    )
    keyword = actions.add_keyword(theirs, keyword="HOURS", reply="Hillview hours", by=outsider)
    client = client_for(cast["owner"])
    for name, kwargs in [
        ("sms-detail", {"pk": theirs.pk}),
        ("sms-options", {"pk": theirs.pk}),
        ("sms-connection", {"pk": theirs.pk}),
        ("sms-replies", {"pk": theirs.pk}),
        ("sms-preview", {"pk": theirs.pk}),
        ("sms-poster", {"pk": theirs.pk}),
        ("sms-keyword-add", {"pk": theirs.pk}),
        ("sms-keyword-edit", {"pk": theirs.pk, "keyword_pk": keyword.pk}),
        ("sms-keyword-edit", {"pk": sms_channel.pk, "keyword_pk": keyword.pk}),
        ("sms-keyword-delete", {"pk": sms_channel.pk, "keyword_pk": keyword.pk}),
        ("active", {"pk": theirs.pk}),
    ]:
        method = client.get if name in ("sms-detail", "sms-poster") else client.post
        assert method(url(name, **kwargs), {"keyword": "X", "reply": "y"}).status_code == 404
    listing = client.get(url("list")).content.decode()
    assert "Hillview texts" not in listing and "+1 555-010-9999" not in listing
    theirs.refresh_from_db()
    assert theirs.is_active and SmsKeyword.objects.get(pk=keyword.pk).reply == "Hillview hours"


def test_conversation_counts_are_per_channel(cast, sms_channel):
    from frontdesk.channels import queries

    assert Conversation.objects.count() == 0
    rows = {c.name: c.conversation_count for c in queries.channels(sms_channel.workspace)}
    assert rows == {"Main desk texts": 0}
