from __future__ import annotations

import pytest

from frontdesk.core.actions.contacts import create_contact
from frontdesk.inbox.actions import InboxError, create_saved_reply, update_saved_reply
from frontdesk.inbox.templating import render_saved_reply

pytestmark = pytest.mark.django_db


def test_variables_are_filled_in_and_unknown_ones_render_empty(cast, riverside):
    contact = create_contact(riverside, name="Ada Lovelace", by=None)
    text = render_saved_reply(
        "Hi {{ contact.first_name }}, {{me.first_name}} here from {{ workspace.name }}."
        " {{ contact.secret }}{{ settings.SECRET_KEY }}Bye.",
        contact=contact,
        me=cast["agent"],
        workspace=riverside,
    )
    assert text == "Hi Ada, Maya here from Riverside Public Library. Bye."


def test_template_tags_are_not_run(cast, riverside):
    body = "{% load static %}{% debug %} {{ me.user.password }} {{ contact.first_name|upper }}"
    rendered = render_saved_reply(body, contact=None, me=cast["agent"])
    assert rendered == "{% load static %}{% debug %}  "


def test_a_customer_without_a_name_renders_empty_not_none(cast, riverside):
    contact = create_contact(riverside, identities=[("email", "x@example.org")], by=None)
    assert render_saved_reply("Hi {{ contact.first_name }}!", contact=contact, me=None) == "Hi !"


def test_saved_replies_need_a_title_and_text(cast, riverside):
    saved = create_saved_reply(
        riverside, title="Hours", body="We open at {{ workspace.name }}", by=cast["agent"]
    )
    update_saved_reply(saved, title="Opening hours", body="9 to 5", by=cast["agent"])
    saved.refresh_from_db()
    assert (saved.title, saved.body) == ("Opening hours", "9 to 5")
    with pytest.raises(InboxError):
        create_saved_reply(riverside, title=" ", body="x", by=cast["agent"])
