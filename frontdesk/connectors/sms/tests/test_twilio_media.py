"""Downloading MMS media from Twilio (the stand-in over loopback HTTP)."""

from __future__ import annotations

import pytest

from frontdesk.connectors.base import ConnectorError
from frontdesk.connectors.sms.providers import SmsAccount, get_provider

# The first bytes of a real JPEG (JFIF header) and a tiny PDF, enough to tell them apart.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

twilio = get_provider("twilio")


@pytest.fixture
def account(twilio_api) -> SmsAccount:
    sid, token = twilio_api.add_account()
    return SmsAccount("twilio", sid, token, "+15017122661")


def refused(account: SmsAccount, url: str) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        twilio.fetch_media(account, url)
    return caught.value


def test_media_follows_twilios_redirect_without_sending_our_credentials_on(twilio_api, account):
    url = twilio_api.add_media(account.account_sid, "image/jpeg", JPEG)
    attachment = twilio.fetch_media(account, url)
    assert attachment.data == JPEG
    assert (attachment.content_type, attachment.size) == ("image/jpeg", len(JPEG))
    assert attachment.filename.startswith("ME") and attachment.filename.endswith(".jpg")
    assert attachment.url == url
    api_call, cdn_call = twilio_api.requests
    assert api_call.headers["authorization"].startswith("Basic ")
    assert cdn_call.path.startswith("/cdn/")
    assert "authorization" not in cdn_call.headers


def test_media_served_directly_is_read_too(twilio_api, account):
    url = twilio_api.add_media(account.account_sid, "application/pdf", PDF, redirect=False)
    attachment = twilio.fetch_media(account, url)
    assert (attachment.data, attachment.filename[-4:]) == (PDF, ".pdf")


def test_media_over_the_size_limit_is_refused(twilio_api, account, settings):
    settings.SMS_MEDIA_MAX_BYTES = 100
    url = twilio_api.add_media(account.account_sid, "image/jpeg", JPEG)
    error = refused(account, url)
    assert (error.permanent, error.code) == (True, "media_too_large")
    assert "larger than" in error.message


def test_media_without_a_length_is_cut_off_at_the_limit(twilio_api, account, settings):
    settings.SMS_MEDIA_MAX_BYTES = 100_000
    url = twilio_api.add_media(account.account_sid, "video/mp4", b"\0" * 300_000, chunked=True)
    assert refused(account, url).code == "media_too_large"
    settings.SMS_MEDIA_MAX_BYTES = 300_000
    assert twilio.fetch_media(account, url).size == 300_000


def test_a_type_outside_the_allow_list_is_refused_by_name(twilio_api, account):
    url = twilio_api.add_media(account.account_sid, "application/x-msdownload", b"MZ\x90\x00")
    error = refused(account, url)
    assert (error.permanent, error.code) == (True, "media_type")
    assert "application/x-msdownload" in error.message


def test_wrong_credentials_are_refused(twilio_api, account):
    url = twilio_api.add_media(account.account_sid, "image/jpeg", JPEG)
    wrong = SmsAccount("twilio", account.account_sid, "wrong-token", account.phone_number)
    error = refused(wrong, url)
    assert (error.permanent, error.code) == (True, "media_auth")
    assert "Auth Token" in error.message


def test_deleted_media_is_permanent(twilio_api, account):
    url = twilio_api.add_media(account.account_sid, "image/jpeg", JPEG)
    error = refused(account, url.rsplit("/", 1)[0] + "/ME" + "0" * 32)
    assert (error.permanent, error.code) == (True, "media_missing")


def test_a_twilio_outage_is_temporary(twilio_api, account):
    url = twilio_api.add_media(account.account_sid, "image/jpeg", JPEG)
    twilio_api.fail_next(503, on="media")
    error = refused(account, url)
    assert (error.permanent, error.code) == (False, "503")
    assert twilio.fetch_media(account, url).data == JPEG


def test_a_url_outside_twilio_is_never_requested(twilio_api, account):
    error = refused(account, "http://169.254.169.254/latest/meta-data/")
    assert (error.permanent, error.code) == (True, "media_refused")
    assert twilio_api.requests == []


@pytest.mark.parametrize(
    "escape",
    [
        "/../../../../../ACother/Messages/MM1/Media/ME1",
        "/../../../../../../evil",
        "/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2E%2E/%2e%2e/evil",
        "/./../../../../../../../../evil",
    ],
)
def test_a_dot_dot_segment_cannot_escape_the_accounts_media_path(twilio_api, account, escape):
    url = twilio_api.add_media(account.account_sid, "image/jpeg", JPEG)
    error = refused(account, url + escape)
    assert (error.permanent, error.code) == (True, "media_refused")
    assert twilio_api.requests == []


def test_another_accounts_media_is_not_fetched_with_our_credentials(twilio_api, account):
    other_sid, _token = twilio_api.add_account()
    url = twilio_api.add_media(other_sid, "image/jpeg", JPEG)
    error = refused(account, url)
    assert (error.permanent, error.code) == (True, "media_refused")
    assert twilio_api.requests == []


def test_harmless_dot_segments_are_resolved_before_fetching(twilio_api, account):
    url = twilio_api.add_media(account.account_sid, "image/jpeg", JPEG)
    head, _, media_sid = url.rpartition("/")
    assert twilio.fetch_media(account, f"{head}/./x/../{media_sid}").data == JPEG
