"""Attachments and inline (cid:) images are stored like MMS pictures, shown in place."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from frontdesk.channels.email.receive import receive_raw
from frontdesk.inbox.models import Attachment

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def test_files_and_inline_images_become_attachments_and_cid_links_point_at_them(
    email_channel, run_intake, client, cast
):
    mail = EmailMessage()
    mail["From"] = "Grace <grace@example.org>"
    mail["To"] = "desk@riverside.example"
    mail["Subject"] = "Broken shelf"
    mail["Message-ID"] = "<att-1@example.org>"
    mail.set_content("See the photo and the form.")
    mail.add_alternative(
        '<p>See <img src="cid:shelf@example.org"> and the form.</p>', subtype="html"
    )
    html_part = mail.get_payload()[1]
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<shelf@example.org>")
    mail.add_attachment(
        b"%PDF-1.4 form", maintype="application", subtype="pdf", filename="form.pdf"
    )
    event = run_intake(receive_raw(email_channel, mail.as_bytes(), via="smtpd").event_id)
    message = event.message
    files = {a.filename: a for a in Attachment.objects.filter(message=message)}
    assert "form.pdf" in files and files["form.pdf"].file.read() == b"%PDF-1.4 form"
    images = [a for a in files.values() if a.content_type == "image/png"]
    assert len(images) == 1 and images[0].file.read() == PNG
    client.force_login(cast["agent"].user)
    page = client.get(f"/w/riverside/settings/channels/email/message/{message.pk}/original/")
    assert f"/w/riverside/inbox/attachments/{images[0].pk}/".encode() in page.content
    assert b"cid:shelf" not in page.content
