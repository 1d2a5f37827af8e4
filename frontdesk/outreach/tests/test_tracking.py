"""Opens and clicks, only in workspaces that turn tracking on: a campaign sent to a
real SMTP server on loopback, its links followed and its pixel fetched from the
received bytes; signed, expiring click links that never redirect elsewhere; the
campaign pages' counts (people, not hits)."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.core import signing
from PIL import Image

from frontdesk.core.models import Contact, Workspace
from frontdesk.outreach import links, sending, tokens
from frontdesk.outreach.actions.authoring import create_template
from frontdesk.outreach.actions.campaigns import create_campaign, send_notice, start_campaign
from frontdesk.outreach.models import Delivery, DeliveryState, OutreachSettings

pytestmark = pytest.mark.django_db

BASE = "/w/riverside/outreach"
CATALOG = "https://catalog.example/hold?item=12&branch=east"
EVENTS = "http://events.example/story-time"
HREF = re.compile(r"""<a\b[^>]*\bhref=(["'])(.*?)\1""", re.I | re.S)


def _hrefs(html: str) -> list[str]:
    return [unescape(href) for _quote, href in HREF.findall(html)]


@pytest.fixture
def newsletter(cast, riverside):
    return create_template(
        riverside.pk,
        name="News",
        subject="News from the library",
        html=(
            '<p>Hi {{ contact.first_name|default:"there" }},</p>\n'
            '<p>Your hold is <a href="https://catalog.example/hold?item=12&amp;branch=east">'
            "ready</a>. Story time: <A HREF='http://events.example/story-time'>Saturdays</A>."
            '</p>\n<p>Questions? <a href="mailto:desk@riverside.example">Write to us</a>.</p>'
        ),
        by=cast["agent"],
    )


def _track(workspace: Workspace, on: bool = True) -> None:
    OutreachSettings.objects.update_or_create(
        workspace=workspace, defaults={"track_opens_and_clicks": on}
    )


def _send(cast, maya_sender, template):
    campaign = create_campaign(name="News", sender=maya_sender, template=template, by=cast["agent"])
    start_campaign(campaign, by=cast["agent"])
    _sent, more = sending.send_due(budget_seconds=30)
    assert not more
    return campaign


def _html(mail) -> str:
    return mail.get_body(("html",)).get_content()


def _path(url: str) -> str:
    return urlsplit(unescape(url)).path


def test_tracked_mail_counts_a_click_and_an_open_once_per_person(
    client, client_for, cast, riverside, maya_sender, newsletter, make_contact, smtp_sink
):
    _track(riverside)
    grace = make_contact("Grace Hopper", "grace@example.org")
    make_contact("Ada Lovelace", "ada@example.org")
    campaign = _send(cast, maya_sender, newsletter)
    mail = next(m for m in smtp_sink.messages() if "grace@" in m["To"])
    delivery = Delivery.objects.get(campaign=campaign, contact=grace)
    assert delivery.state == DeliveryState.SENT

    html = _html(mail)
    hrefs = _hrefs(html)
    clicks = [h for h in hrefs if "/o/click/" in h]
    assert len(clicks) == 2  # the two web links; mailto and our own pages stay
    assert CATALOG not in hrefs and EVENTS not in hrefs
    assert "mailto:desk@riverside.example" in hrefs
    # Unsubscribe and preferences links are never rewritten (the footer, the header).
    assert any("/o/unsubscribe/" in h for h in hrefs)
    assert any("/o/preferences/" in h for h in hrefs)
    assert "/o/unsubscribe/" in mail["List-Unsubscribe"]
    # The open pixel, once, at the end of the body.
    pixels = re.findall(r'<img src="([^"]+/o/open/[^"]+)" width="1" height="1" alt=""', html)
    assert len(pixels) == 1 and html.index(pixels[0]) > html.index("/o/unsubscribe/")
    # The text part keeps the links as written (the reader sees where they lead).
    text = mail.get_body(("plain",)).get_content()
    assert "/o/click/" not in text and "/o/open/" not in text

    # Following the click link (as a mail client would: no cookies, no login).
    response = client.get(_path(clicks[0]))
    assert response.status_code == 302 and response["Location"] == CATALOG
    assert "no-store" in response["Cache-Control"]
    delivery.refresh_from_db()
    assert delivery.clicks == 1 and delivery.clicked_at is not None
    assert delivery.opened_at is not None and delivery.opens == 0  # clicked, so opened
    first_click = delivery.clicked_at
    assert client.get(_path(clicks[1]))["Location"] == EVENTS
    delivery.refresh_from_db()
    assert delivery.clicks == 2 and delivery.clicked_at == first_click

    # The pixel: a real 1×1 GIF no cache keeps; each fetch counted, the first time kept.
    for _ in range(2):
        pixel = client.get(_path(pixels[0]))
        assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
        assert "no-store" in pixel["Cache-Control"] and pixel["Pragma"] == "no-cache"
        assert Image.open(io.BytesIO(pixel.content)).size == (1, 1)
    delivery.refresh_from_db()
    assert delivery.opens == 2

    # The campaign pages count people: Grace once, Ada not at all.
    staff = client_for(cast["agent"])
    page = staff.get(f"{BASE}/campaigns/{campaign.pk}/").content.decode()
    assert 'id="result-opened">1<' in page and 'id="result-clicked">1<' in page
    assert "nothing records" not in page and "not tracked" not in page
    index = staff.get(f"{BASE}/").content.decode()
    row = index.split(f'id="campaign-{campaign.pk}"')[1].split("</tr>")[0]
    assert 'data-result="opened">1<' in row and 'data-result="clicked">1<' in row


def test_untracked_mail_has_its_own_links_and_no_pixel(
    client_for, cast, riverside, maya_sender, newsletter, make_contact, smtp_sink
):
    make_contact("Grace Hopper", "grace@example.org")
    campaign = _send(cast, maya_sender, newsletter)  # no settings row: off by default
    html = _html(smtp_sink.messages()[0])
    hrefs = _hrefs(html)
    assert CATALOG in hrefs and EVENTS in hrefs
    assert "/o/click/" not in html and "/o/open/" not in html and "<img" not in html

    page = client_for(cast["agent"]).get(f"{BASE}/campaigns/{campaign.pk}/").content.decode()
    assert "result-opened" not in page and "result-clicked" not in page
    assert "Opens and clicks are not tracked (off for privacy)." in page
    index = client_for(cast["agent"]).get(f"{BASE}/").content.decode()
    assert 'data-result="opened"' not in index


def _delivery(workspace: Workspace, address: str = "someone@example.org") -> Delivery:
    contact = Contact.objects.create(workspace=workspace, name="Someone")
    return Delivery.objects.create(
        workspace=workspace,
        contact=contact,
        address=address,
        idempotency_key=f"fd-t-{workspace.pk}-{contact.pk}",
        state=DeliveryState.SENT,
    )


def test_a_click_link_goes_only_where_it_was_signed_to_go(client, riverside):
    _track(riverside)
    delivery = _delivery(riverside)
    good = _path(links.click_url(delivery.pk, CATALOG))
    # A target in the query string is ignored: the signed one is followed.
    response = client.get(good + "?url=https://evil.example/&next=https://evil.example/")
    assert response["Location"] == CATALOG
    # A HEAD (a link checker) is answered but not counted; a POST is not allowed.
    assert client.head(good)["Location"] == CATALOG
    assert client.post(good).status_code == 405

    # Altered: another target under the same signature, or a cut-off token.
    token = good.rstrip("/").rsplit("/", 1)[1]
    payload, stamp, signature = token.split(":")
    other = tokens.sign_click(delivery.pk, "https://evil.example/")
    forged = f"{other.split(':')[0]}:{stamp}:{signature}"
    for bad in (forged, token[:-3], "nonsense", payload):
        response = client.get(f"/o/click/{bad}/")
        assert response.status_code == 404 and not response.has_header("Location")
        assert "This link does not work" in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.clicks == 1  # only the good one

    # A signed link to something other than http(s) is not followed either.
    for odd in ("javascript:alert(1)", "https://a.example/\r\nSet-Cookie: x=1"):
        assert client.get(_path(links.click_url(delivery.pk, odd))).status_code == 404


def test_an_old_click_link_shows_its_page_instead_of_a_dead_end(client, riverside, monkeypatch):
    _track(riverside)
    delivery = _delivery(riverside)
    long_ago = int(time.time() - (tokens.LIFETIMES["click"] + timedelta(days=1)).total_seconds())
    with monkeypatch.context() as patch:
        patch.setattr(
            signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(long_ago)
        )
        old = _path(links.click_url(delivery.pk, CATALOG))
        old_pixel = _path(links.open_url(delivery.pk))
    response = client.get(old)
    assert response.status_code == 200 and not response.has_header("Location")
    page = response.content.decode()
    assert 'href="https://catalog.example/hold?item=12&amp;branch=east"' in page
    # An old pixel is still an image; neither is recorded.
    pixel = client.get(old_pixel)
    assert pixel.status_code == 200 and pixel["Content-Type"] == "image/gif"
    delivery.refresh_from_db()
    assert (delivery.clicks, delivery.opens, delivery.clicked_at, delivery.opened_at) == (
        0,
        0,
        None,
        None,
    )


def test_nothing_is_recorded_once_tracking_is_off_or_for_another_workspace(client, cast, riverside):
    from frontdesk.core.models import Membership

    hillview = Membership.objects.get(pk=cast["outsider"].pk).workspace
    _track(riverside)
    theirs = _delivery(hillview)  # Hillview does not track
    response = client.get(_path(links.click_url(theirs.pk, CATALOG)))
    assert response.status_code == 302 and response["Location"] == CATALOG
    client.get(_path(links.open_url(theirs.pk)))
    theirs.refresh_from_db()
    assert (theirs.clicks, theirs.opens, theirs.clicked_at, theirs.opened_at) == (0, 0, None, None)

    ours = _delivery(riverside, "reader@example.org")
    _track(riverside, on=False)  # turned off after the message went out
    assert client.get(_path(links.click_url(ours.pk, CATALOG)))["Location"] == CATALOG
    assert client.get(_path(links.open_url(ours.pk))).status_code == 200
    ours.refresh_from_db()
    assert (ours.clicks, ours.opens) == (0, 0)
    # A pixel for a delivery that does not exist: still an image.
    assert client.get(_path(links.open_url(10**9))).status_code == 200
    # One we never signed (made up, or altered) is not found, and records nothing.
    made_up = _path(links.open_url(ours.pk)).replace("/o/open/", "/o/open/x")
    assert client.get(made_up).status_code == 404
    assert client.get(f"/o/open/{ours.pk}/").status_code == 404


def test_a_test_send_and_notices_are_never_tracked(
    cast, riverside, maya_sender, newsletter, make_contact, smtp_sink
):
    from frontdesk.outreach.preview import send_test_email

    _track(riverside)
    grace = make_contact("Grace Hopper", "grace@example.org")
    send_test_email(
        riverside,
        sender=maya_sender,
        subject=newsletter.subject,
        html=newsletter.html,
        contact=grace,
        to_address="maya@riverside.example",
        to_name="Maya Patel",
    )
    html = _html(smtp_sink.messages()[-1])
    assert CATALOG in _hrefs(html) and "/o/open/" not in html

    # A notice (one person's hold, overdue, confirmation) is that person's business.
    send_notice(
        sender=maya_sender,
        template=newsletter,
        contact=grace,
        data={},
        external_id="hold-12",
        by=cast["agent"],
    )
    sending.send_due(budget_seconds=30)
    assert len(smtp_sink.received) == 2
    html = _html(smtp_sink.messages()[-1])
    assert CATALOG in _hrefs(html) and "/o/open/" not in html


ODD = (
    "<p>Zoë — <A HREF='https://a.example/x?y=1&amp;z=2' class=btn>A</A>\r\n"
    '<a\n  title="multi\nline" href=http://b.example/u>B</a> <abbr title="x">ab</abbr>\n'
    '<!-- <a href="https://c.example/">in a comment</a> -->\n'
    "<script>var s = '<a href=\"https://d.example/\">';</script>\n"
    '<a href="mailto:x@y">m</a><a href="#top">t</a><a>none</a><a href="">empty</a>\n'
    '<a href="javascript:alert(1)">j</a><a href="https://e.example/" href="https://x.example/">'
    "two</a>\n"
    '<a href="{own}unsubscribe/abc/">unsubscribe</a><a href = " https://f.example/ "/>'
    '<a href="https://g.example/\n  wrapped">g</a>'
    "<p>The end &amp; <b>more</b></p>"
)


def test_link_rewriting_on_odd_html():
    source = ODD.replace("{own}", links.own_pages())
    out = links.rewrite_links(source, 7)
    targets = []
    for href in _hrefs(out):
        if "/o/click/" in href:
            delivery_id, target, fresh = tokens.read_click(_path(href).split("/")[3])
            assert delivery_id == 7 and fresh
            targets.append(target)
    assert targets == [
        "https://a.example/x?y=1&z=2",
        "http://b.example/u",
        "https://e.example/",
        "https://f.example/",
        "https://g.example/  wrapped",  # line breaks dropped, as browsers do
    ]
    # Comments, script text, other schemes, empty links, our own pages: as written.
    for kept in (
        '<!-- <a href="https://c.example/">in a comment</a> -->',
        "<script>var s = '<a href=\"https://d.example/\">';</script>",
        '<a href="mailto:x@y">m</a><a href="#top">t</a><a>none</a><a href="">empty</a>',
        '<a href="javascript:alert(1)">j</a>',
        f'<a href="{links.own_pages()}unsubscribe/abc/">unsubscribe</a>',
        '<abbr title="x">ab</abbr>',
        "<p>The end &amp; <b>more</b></p>",
        "<p>Zoë — ",
        'class="btn">A</A>\r\n',
    ):
        assert kept in out
    assert "x.example" not in out  # a second href is dropped, not followed
    # Nothing to rewrite: the very same string.
    plain = "<p>No links here, only <abbr>abbr</abbr>.</p>"
    assert links.rewrite_links(plain, 7) is plain
