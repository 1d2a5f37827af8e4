"""Sender identities after they are made: edited on the senders page, deleted when
nothing was sent from them or archived when something was, and their own From
address proved by a signed link mailed to it (a real SMTP server on loopback)."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from frontdesk.channels.email.actions import create_email_channel
from frontdesk.core.errors import ActionError, NotAllowed
from frontdesk.outreach import sending, tokens
from frontdesk.outreach.actions.app_notices import sender_for
from frontdesk.outreach.actions.authoring import (
    create_sender_identity,
    remove_sender_identity,
    update_sender_identity,
)
from frontdesk.outreach.actions.campaigns import create_campaign, send_notice, start_campaign
from frontdesk.outreach.models import Campaign, OutreachSettings, SenderIdentity

pytestmark = pytest.mark.django_db

BASE = "/w/riverside/outreach"


def _jpeg(colour: str) -> SimpleUploadedFile:
    picture = io.BytesIO()
    Image.new("RGB", (300, 300), colour).save(picture, "JPEG")
    return SimpleUploadedFile("me.jpg", picture.getvalue(), content_type="image/jpeg")


def _edit(sender: SenderIdentity, **changes: object) -> dict[str, object]:
    """The edit form's fields as they stand, with `changes`."""
    fields: dict[str, object] = {
        "name": sender.name,
        "title": sender.title,
        "signature": sender.signature,
        "email_channel": sender.email_channel_id or "",
        "from_address": sender.from_address,
        "sms_channel": sender.sms_channel_id or "",
    }
    fields.update(changes)
    return fields


def _link_in(mail) -> str:  # type: ignore[no-untyped-def]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+/o/sender-address/\S+/", body)
    return urlsplit(link).path


def test_an_admin_edits_name_title_photo_signature_and_channels(
    client_for, cast, maya_sender, make_sms_channel, django_capture_on_commit_callbacks
):
    texts = make_sms_channel()
    client = client_for(cast["admin"])
    page = client.get(f"{BASE}/senders/").content.decode()
    assert f'href="{BASE}/senders/{maya_sender.pk}/"' in page
    form = client.get(f"{BASE}/senders/{maya_sender.pk}/").content.decode()
    assert 'value="Youth Services Librarian"' in form

    empty = client.post(f"{BASE}/senders/{maya_sender.pk}/", _edit(maya_sender, name=""))
    assert empty.status_code == 400
    saved = client.post(
        f"{BASE}/senders/{maya_sender.pk}/",
        _edit(
            maya_sender,
            name="Maya P.",
            title="Head of Youth Services",
            signature="Maya\nHead of Youth Services",
            sms_channel=texts.pk,
            photo=_jpeg("teal"),
        ),
    )
    assert saved.status_code == 302
    maya_sender.refresh_from_db()
    assert (maya_sender.name, maya_sender.title, maya_sender.sms_channel) == (
        "Maya P.",
        "Head of Youth Services",
        texts,
    )
    assert maya_sender.signature == "Maya\nHead of Youth Services"
    first_photo = Path(maya_sender.photo.path)
    assert first_photo.exists()

    # A new photo replaces the old file; removing it deletes the file too.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{BASE}/senders/{maya_sender.pk}/", _edit(maya_sender, photo=_jpeg("navy")))
    maya_sender.refresh_from_db()
    second_photo = Path(maya_sender.photo.path)
    assert second_photo.exists() and not first_photo.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{BASE}/senders/{maya_sender.pk}/", _edit(maya_sender, remove_photo="on"))
    maya_sender.refresh_from_db()
    assert not maya_sender.photo and not second_photo.exists()

    # Neither channel: refused, nothing lost.
    none = client.post(
        f"{BASE}/senders/{maya_sender.pk}/", _edit(maya_sender, email_channel="", sms_channel="")
    )
    assert none.status_code == 400
    assert "Choose how this person" in html.unescape(none.content.decode())
    maya_sender.refresh_from_db()
    assert maya_sender.email_channel_id and maya_sender.sms_channel == texts


def test_only_admins_change_senders_and_only_their_own_workspaces(
    client_for, cast, maya_sender, email_channel
):
    agent = client_for(cast["agent"])
    assert agent.get(f"{BASE}/senders/{maya_sender.pk}/").status_code == 403
    assert agent.post(f"{BASE}/senders/{maya_sender.pk}/remove/").status_code == 403
    assert (
        agent.post(f"{BASE}/senders/{maya_sender.pk}/", _edit(maya_sender, name="X")).status_code
        == 403
    )
    assert f"senders/{maya_sender.pk}/" not in agent.get(f"{BASE}/senders/").content.decode()
    with pytest.raises(NotAllowed):
        update_sender_identity(
            maya_sender,
            name="X",
            title="",
            signature="",
            email_channel=email_channel,
            sms_channel=None,
            from_address="",
            by=cast["agent"],
        )
    maya_sender.refresh_from_db()
    assert maya_sender.name == "Maya Patel" and SenderIdentity.objects.count() == 1

    outsider = cast["outsider"]
    channel = create_email_channel(
        outsider.workspace,
        name="Hillview mail",
        setup={"address": "desk@hillview.example", "outbound_backend": "default"},
        by=outsider,
    )
    theirs = create_sender_identity(member=outsider, email_channel=channel, by=outsider)
    admin = client_for(cast["owner"])
    for url in ("", "remove/", "restore/", "verify/"):
        assert admin.post(f"{BASE}/senders/{theirs.pk}/{url}").status_code == 404, url
    assert SenderIdentity.objects.filter(pk=theirs.pk, archived_at__isnull=True).exists()
    # Another workspace's channel is no choice for this workspace's sender.
    foreign = admin.post(
        f"{BASE}/senders/{maya_sender.pk}/", _edit(maya_sender, email_channel=channel.pk)
    )
    assert foreign.status_code == 400
    maya_sender.refresh_from_db()
    assert maya_sender.email_channel == email_channel


def test_an_unused_sender_is_deleted_a_used_one_archived(
    client_for, cast, riverside, maya_sender, email_channel, welcome, make_contact, smtp_sink
):
    client = client_for(cast["admin"])
    unused = create_sender_identity(
        member=cast["owner"], name="Olivia Owens", email_channel=email_channel, by=cast["owner"]
    )
    form = client.get(f"{BASE}/senders/{unused.pk}/").content.decode()
    assert "Delete this sender" in form
    client.post(f"{BASE}/senders/{unused.pk}/remove/")
    assert not SenderIdentity.objects.filter(pk=unused.pk).exists()

    grace = make_contact("Grace Hopper", "grace@example.org")
    campaign = create_campaign(
        name="Spring welcome", sender=maya_sender, template=welcome, by=cast["agent"]
    )
    send_notice(
        sender=maya_sender,
        template=welcome,
        contact=grace,
        data={},
        external_id="w-1",
        by=cast["agent"],
    )
    OutreachSettings.objects.create(workspace=riverside, default_sender=maya_sender)
    form = client.get(f"{BASE}/senders/{maya_sender.pk}/").content.decode()
    assert "Archive this sender" in form
    done = client.post(f"{BASE}/senders/{maya_sender.pk}/remove/", follow=True)
    assert "Maya Patel is archived" in html.unescape(done.content.decode())
    maya_sender.refresh_from_db()
    assert maya_sender.archived_at is not None
    # Hidden where a sender is chosen; history keeps the name.
    campaign_form = client.get(f"{BASE}/campaigns/new/").content.decode()
    choices = campaign_form.split('name="sender"')[1].split("</select>")[0]
    assert "Maya Patel" not in choices and f'value="{maya_sender.pk}"' not in choices
    editor = client.get(f"{BASE}/templates/{welcome.pk}/").content.decode()
    picker = editor.split('id="preview-sender"')[1].split("</select>")[0]
    assert "Maya Patel" not in picker and "no sender yet" in picker
    index = client.get(f"{BASE}/").content.decode()
    assert "from Maya Patel" in index.split(f'id="campaign-{campaign.pk}"')[1]
    senders_page = client.get(f"{BASE}/senders/").content.decode()
    archived = senders_page.split('id="archived-h"')[1]
    assert "Maya Patel" in archived and "Bring back" in archived
    # Not chosen for new messages, nor as the default sender of notices.
    with pytest.raises(ActionError, match="archived"):
        create_campaign(name="Again", sender=maya_sender, template=welcome, by=cast["agent"])
    assert sender_for(riverside.pk, cast["agent"], "email") is None
    assert OutreachSettings.objects.get(workspace=riverside).default_sender is None
    refused = client.post(
        f"{BASE}/campaigns/new/",
        {"name": "x", "sender": maya_sender.pk, "template": welcome.pk},
    )
    assert refused.status_code == 400 and Campaign.objects.count() == 1

    client.post(f"{BASE}/senders/{maya_sender.pk}/restore/")
    maya_sender.refresh_from_db()
    assert maya_sender.archived_at is None
    assert sender_for(riverside.pk, cast["agent"], "email") == maya_sender


def test_a_sender_archived_mid_campaign_still_finishes_it(
    cast, maya_sender, welcome, make_contact, smtp_sink
):
    make_contact("Grace Hopper", "grace@example.org")
    campaign = create_campaign(name="W", sender=maya_sender, template=welcome, by=cast["agent"])
    start_campaign(campaign, by=cast["agent"])
    assert remove_sender_identity(maya_sender, by=cast["admin"]) is False
    sending.send_due(budget_seconds=30)
    (mail,) = smtp_sink.messages()
    assert parseaddr(str(mail["From"]))[0].startswith("Maya Patel")


def test_own_address_is_proved_by_the_mailed_link(
    client_for, cast, maya_sender, welcome, make_contact, smtp_sink
):
    admin = client_for(cast["admin"])
    saved = admin.post(
        f"{BASE}/senders/{maya_sender.pk}/",
        _edit(maya_sender, from_address="Maya.Patel@Riverside.example"),
        follow=True,
    )
    text = html.unescape(saved.content.decode())
    assert "We mailed a link to maya.patel@riverside.example" in text
    assert "not verified yet" in text
    maya_sender.refresh_from_db()
    assert maya_sender.from_address == "maya.patel@riverside.example"
    assert not maya_sender.from_address_verified

    (proof,) = smtp_sink.messages()
    assert parseaddr(str(proof["To"]))[1] == "maya.patel@riverside.example"
    assert parseaddr(str(proof["From"]))[1] == "desk@riverside.example"
    assert smtp_sink.received[0][1] == ["maya.patel@riverside.example"]
    link = _link_in(proof)

    # Until then a campaign goes out from the channel's address with her name.
    make_contact("Grace Hopper", "grace@example.org")
    first = create_campaign(name="One", sender=maya_sender, template=welcome, by=cast["agent"])
    page = admin.get(f"{BASE}/campaigns/{first.pk}/").content.decode()
    assert "maya.patel@riverside.example is not verified yet" in html.unescape(page)
    start_campaign(first, by=cast["agent"])
    sending.send_due(budget_seconds=30)
    name, address = parseaddr(str(smtp_sink.messages()[-1]["From"]))
    assert address == "desk@riverside.example" and name.startswith("Maya Patel")

    # No login needed; opening the link changes nothing (link scanners open links).
    anonymous = Client()
    page = anonymous.get(link)
    assert page.status_code == 200 and "Yes, it is mine" in page.content.decode()
    maya_sender.refresh_from_db()
    assert not maya_sender.from_address_verified
    done = anonymous.post(link)
    assert done.status_code == 200 and "Your address is confirmed" in done.content.decode()
    maya_sender.refresh_from_db()
    assert maya_sender.from_address_verified
    assert "(verified)" in admin.get(f"{BASE}/senders/").content.decode()

    smtp_sink.received.clear()
    second = create_campaign(name="Two", sender=maya_sender, template=welcome, by=cast["agent"])
    page = admin.get(f"{BASE}/campaigns/{second.pk}/").content.decode()
    assert "from maya.patel@riverside.example" in page
    start_campaign(second, by=cast["agent"])
    sending.send_due(budget_seconds=30)
    (mail,) = smtp_sink.messages()
    assert parseaddr(str(mail["From"])) == ("Maya Patel", "maya.patel@riverside.example")

    # A new address is unverified again, and the old link cannot prove it.
    smtp_sink.received.clear()
    admin.post(
        f"{BASE}/senders/{maya_sender.pk}/",
        _edit(maya_sender, from_address="maya@elsewhere.example"),
    )
    maya_sender.refresh_from_db()
    assert (maya_sender.from_address, maya_sender.from_address_verified) == (
        "maya@elsewhere.example",
        False,
    )
    stale = anonymous.post(link)
    assert stale.status_code == 404
    maya_sender.refresh_from_db()
    assert not maya_sender.from_address_verified
    (new_proof,) = smtp_sink.messages()
    assert parseaddr(str(new_proof["To"]))[1] == "maya@elsewhere.example"


def test_a_tampered_or_expired_link_is_refused(
    client_for, cast, maya_sender, smtp_sink, monkeypatch
):
    client_for(cast["admin"]).post(
        f"{BASE}/senders/{maya_sender.pk}/",
        _edit(maya_sender, from_address="maya.patel@riverside.example"),
    )
    link = _link_in(smtp_sink.messages()[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    anonymous = Client()
    # Another sender's id, the same signature; or a changed signature.
    value, stamp, signature = token.rsplit(":", 2)
    other = tokens.sign_address(maya_sender.pk + 1, "maya.patel@riverside.example")
    for forged in (
        f"{other.rsplit(':', 2)[0]}:{stamp}:{signature}",
        f"{value}:{stamp}:{signature[:-2]}xx",
        "garbage",
    ):
        response = anonymous.post(f"/o/sender-address/{forged}/")
        assert response.status_code == 404, forged
    monkeypatch.setitem(tokens.LIFETIMES, "sender-address", timedelta(seconds=-1))
    expired = anonymous.post(link)
    assert expired.status_code == 410 and "expired" in expired.content.decode()
    maya_sender.refresh_from_db()
    assert not maya_sender.from_address_verified


def test_the_channels_own_address_needs_no_proof(client_for, cast, maya_sender, smtp_sink):
    client_for(cast["admin"]).post(
        f"{BASE}/senders/{maya_sender.pk}/",
        _edit(maya_sender, from_address="desk@riverside.example"),
    )
    maya_sender.refresh_from_db()
    assert maya_sender.from_address_verified
    assert not smtp_sink.received


def test_a_link_that_cannot_be_mailed_says_so(client_for, cast, riverside, maya_sender):
    from frontdesk.outreach.tests.conftest import free_port

    closed = create_email_channel(
        riverside,
        name="Unreachable mail",
        setup={
            "address": "closed@riverside.example",
            "outbound_backend": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": free_port(),  # nothing listens there
            "smtp_use_tls": False,
        },
        by=cast["owner"],
    )
    response = client_for(cast["admin"]).post(
        f"{BASE}/senders/{maya_sender.pk}/",
        _edit(maya_sender, email_channel=closed.pk, from_address="maya.patel@riverside.example"),
        follow=True,
    )
    text = html.unescape(response.content.decode())
    assert "The link could not be sent" in text
    assert "messages go out from the channel's address with the person's name" in text
    maya_sender.refresh_from_db()
    assert maya_sender.from_address == "maya.patel@riverside.example"
    assert not maya_sender.from_address_verified
