"""Files of outbound replies at an unguessable, expiring public URL, for providers.

An MMS provider fetches a reply's pictures itself (Twilio's MediaUrl), without our
sign-in; so each picture of a staff reply gets a URL signed with the secret key
(`django.core.signing`, salted for this use) that names one attachment and stops
working after MEDIA_URL_MAX_AGE. Only attachments of replies are served this way:
a customer's own files stay behind the signed-in view.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.http import require_GET

from frontdesk.inbox.models import Attachment, MessageKind

SALT = "frontdesk.inbox.outbound-media"
# Long enough for a provider's retries (Twilio fetches within minutes), short
# enough that a leaked link soon stops working.
MEDIA_URL_MAX_AGE = 24 * 3600


def signed_media_url(attachment: Attachment) -> str:
    """The public URL of a reply's file, valid for MEDIA_URL_MAX_AGE seconds."""
    token = signing.dumps(attachment.pk, salt=SALT, compress=False)
    return settings.PUBLIC_BASE_URL + reverse("outbound-media", kwargs={"token": token})


@require_GET
def outbound_media(request: HttpRequest, token: str) -> FileResponse:
    """A reply's file for the provider to fetch; 404 for a forged, expired or
    customer's file (no sign-in: the signature is the permission)."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=MEDIA_URL_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        raise Http404("No such file") from None
    found = (
        Attachment.objects.filter(pk=pk, message__kind=MessageKind.REPLY).exclude(file="").first()
        if isinstance(pk, int)
        else None
    )
    if found is None:
        raise Http404("No such file")
    response = FileResponse(
        found.file.open("rb"), content_type=found.content_type or "application/octet-stream"
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
