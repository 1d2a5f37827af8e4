from __future__ import annotations

import pytest
from django.urls import reverse

from frontdesk.core.actions.contacts import create_contact
from frontdesk.inbox.actions import InboxError, create_saved_reply, update_saved_reply
from frontdesk.inbox.templating import VARIABLES, render_saved_reply

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


def test_a_customer_without_a_name_gets_the_fallback_not_a_blank(cast, riverside):
    # Issue 20, item 7: "Hi !" (and "Hi , …") was the bug; the settings page promises
    # a fallback. Still never "None".
    contact = create_contact(riverside, identities=[("email", "x@example.org")], by=None)
    assert render_saved_reply("Hi {{ contact.first_name }}!", contact=contact, me=None) == (
        "Hi there!"
    )


def test_no_variable_leaves_a_blank(cast, riverside):
    contact = create_contact(riverside, identities=[("phone", "+15550100177")], by=None)
    cast["agent"].title = ""
    body = " | ".join(f"{{{{ {name} }}}}" for name in VARIABLES)
    rendered = render_saved_reply(body, contact=contact, me=cast["agent"], workspace=riverside)
    assert all(part.strip() for part in rendered.split("|")), rendered
    assert rendered.startswith("there | there | Maya | Maya Patel | Riverside Public Library")
    assert "None" not in render_saved_reply(body, contact=None, me=None)


def test_the_settings_page_says_what_a_missing_name_becomes(cast, client_for):
    response = client_for(cast["agent"]).get(
        reverse("inbox_settings:saved-reply-create", kwargs={"ws": "riverside"})
    )
    assert response.status_code == 200
    assert "or “there” when unknown" in response.content.decode()


def test_saved_replies_need_a_title_and_text(cast, riverside):
    saved = create_saved_reply(
        riverside, title="Hours", body="We open at {{ workspace.name }}", by=cast["agent"]
    )
    update_saved_reply(saved, title="Opening hours", body="9 to 5", by=cast["agent"])
    saved.refresh_from_db()
    assert (saved.title, saved.body) == ("Opening hours", "9 to 5")
    with pytest.raises(InboxError):
        create_saved_reply(riverside, title=" ", body="x", by=cast["agent"])
