"""Amazon SES through SNS: only messages SNS really signed, from the channel's own
topics, recently and once, are read; SNS's signing certificate comes from an allowed
address only (here the loopback stand-in: nothing reaches AWS) and is fetched once."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from frontdesk.channels.email.models import SnsMessageReceipt
from frontdesk.channels.email.tests.conftest import write_mail
from frontdesk.channels.email.tests.sns_peer import (
    CERT_PATH,
    TOPIC,
    body_of,
    headers_for,
    new_key,
    now_iso,
)
from frontdesk.inbox.models import InboundEvent

pytestmark = pytest.mark.django_db

OTHER_TOPIC = "arn:aws:sns:us-east-1:999999999999:someone-elses-topic"


@pytest.fixture
def ses_config(config):
    """Riverside's email channel receiving through Amazon SES, SNS signature only."""
    config.inbound_provider = "amazon_ses"
    config.webhook_secret = ""
    config.sns_topic_arns = f"{TOPIC}\narn:aws:sns:eu-west-1:123456789012:second"
    config.save()
    return config


def received(subject: str = "Large print?") -> str:
    """The SES receipt notification (an SNS action, Base64 encoding) of one mail."""
    raw = write_mail(subject=subject, message_id=f"<{abs(hash(subject))}@example.org>")
    return json.dumps(
        {
            "notificationType": "Received",
            "mail": {"source": "grace@example.org", "messageId": "ses-mail-1"},
            "receipt": {
                "recipients": ["desk@riverside.example"],
                "action": {"type": "SNS", "encoding": "BASE64", "topicArn": TOPIC},
            },
            "content": base64.b64encode(raw).decode(),
        }
    )


def post(client, config, envelope, *, which: str = "inbound"):
    url = f"/hooks/email/{config.webhook_key}/amazon_ses/{which}/"
    return client.post(
        url, body_of(envelope), content_type="text/plain; charset=UTF-8", **headers_for(envelope)
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_genuinely_signed_notification_is_stored(client, ses_config, sns, version):
    envelope = sns.notification(received(), subject="Amazon SES Email Receipt", version=version)
    response = post(client, ses_config, envelope)
    assert response.status_code == 200, response.content
    assert InboundEvent.objects.get().subject == "Large print?"
    assert SnsMessageReceipt.objects.get().message_id == envelope["MessageId"]


def test_the_signing_certificate_is_fetched_once(client, ses_config, sns):
    for subject in ("One", "Two", "Three"):
        assert post(client, ses_config, sns.notification(received(subject))).status_code == 200
    assert InboundEvent.objects.count() == 3
    assert sns.certificate_fetches() == 1


def test_a_tampered_field_is_refused(client, ses_config, sns):
    tampered = sns.notification(received("Honest"))
    tampered["Message"] = received("Forged")
    response = post(client, ses_config, tampered)
    assert response.status_code == 403
    assert b"signature does not match" in response.content
    moved = sns.notification(received("Honest"))
    moved["TopicArn"] = "arn:aws:sns:eu-west-1:123456789012:second"  # also a channel topic
    assert post(client, ses_config, moved).status_code == 403
    subject = sns.notification(received("Honest"), subject="Amazon SES Email Receipt")
    subject["Subject"] = "Something else"
    assert post(client, ses_config, subject).status_code == 403
    assert not InboundEvent.objects.exists()


def test_a_signature_by_another_key_is_refused(client, ses_config, sns):
    forged = sns.notification(received(), key=new_key())
    response = post(client, ses_config, forged)
    assert response.status_code == 403
    unsigned = sns.notification(received())
    del unsigned["Signature"]
    response = post(client, ses_config, unsigned)
    assert response.status_code == 403 and b"not signed" in response.content
    assert not InboundEvent.objects.exists()


@pytest.mark.parametrize(
    "cert_url",
    [
        "http://127.0.0.2:{port}" + CERT_PATH,  # another host
        "http://127.0.0.1:1" + CERT_PATH,  # another port
        "https://127.0.0.1:{port}" + CERT_PATH,  # another scheme
        "http://user@127.0.0.1:{port}" + CERT_PATH,
        "http://127.0.0.1:{port}/not-a-certificate.txt",
        "https://sns.us-east-1.amazonaws.com.attacker.example/cert.pem",
        "https://attacker.example/sns.us-east-1.amazonaws.com/cert.pem",
    ],
)
def test_a_certificate_from_an_address_not_allowed_is_never_fetched(
    client, ses_config, sns, cert_url
):
    port = sns.url.rsplit(":", 1)[1]
    envelope = sns.notification(received(), cert_url=cert_url.format(port=port))
    response = post(client, ses_config, envelope)
    assert response.status_code == 403
    assert b"not on an Amazon SNS address" in response.content
    assert sns.certificate_fetches() == 0
    assert not InboundEvent.objects.exists()


def test_a_message_from_another_topic_is_refused_before_any_fetch(client, ses_config, sns):
    response = post(client, ses_config, sns.notification(received(), topic=OTHER_TOPIC))
    assert response.status_code == 403
    assert b"not one of this channel's topics" in response.content
    assert sns.certificate_fetches() == 0
    assert not InboundEvent.objects.exists()


def test_a_channel_without_topics_refuses_sns(client, ses_config, sns):
    ses_config.sns_topic_arns = ""
    ses_config.save()
    response = post(client, ses_config, sns.notification(received()))
    assert response.status_code == 403 and b"no Amazon SNS topic" in response.content


def test_a_replayed_message_is_refused(client, ses_config, sns):
    envelope = sns.notification(received())
    assert post(client, ses_config, envelope).status_code == 200
    replay = post(client, ses_config, envelope)
    assert replay.status_code == 409
    assert b"replay" in replay.content
    assert InboundEvent.objects.count() == 1
    # A tracking webhook takes the same rule.
    tracking = sns.notification(json.dumps({"eventType": "Open", "mail": {}}))
    assert post(client, ses_config, tracking, which="tracking").status_code == 200
    assert post(client, ses_config, tracking, which="tracking").status_code == 409


def test_a_message_whose_processing_failed_is_read_when_sns_retries(
    client, ses_config, sns, monkeypatch
):
    from frontdesk.channels.email import webhooks

    real_receive = webhooks.receive_raw

    def disk_full(*args, **kwargs):  # an error no peer can produce
        raise OSError("No space left on device")

    monkeypatch.setattr(webhooks, "receive_raw", disk_full)
    envelope = sns.notification(received())
    with pytest.raises(OSError):
        post(client, ses_config, envelope)  # a 500: SNS retries the same message
    assert not SnsMessageReceipt.objects.exists()
    monkeypatch.setattr(webhooks, "receive_raw", real_receive)
    assert post(client, ses_config, envelope).status_code == 200
    assert InboundEvent.objects.count() == 1


def test_a_message_older_than_snss_retries_is_refused(client, ses_config, sns):
    old = sns.notification(received(), published=now_iso(-timedelta(hours=2)))
    response = post(client, ses_config, old)
    assert response.status_code == 403 and b"replay" in response.content
    recent = sns.notification(received(), published=now_iso(-timedelta(minutes=50)))
    assert post(client, ses_config, recent).status_code == 200  # SNS may retry for an hour


def test_an_unreachable_certificate_host_asks_sns_to_retry(client, ses_config, sns, settings):
    settings.SNS_ALLOWED_URLS = [*settings.SNS_ALLOWED_URLS, "http://127.0.0.1:1/"]
    envelope = sns.notification(received(), cert_url="http://127.0.0.1:1" + CERT_PATH)
    assert post(client, ses_config, envelope).status_code == 503
    assert not SnsMessageReceipt.objects.exists()  # the retry will be read


def test_a_subscription_is_confirmed_from_an_allowed_address_only(client, ses_config, sns):
    confirmation = sns.subscription_confirmation()
    response = post(client, ses_config, confirmation)
    assert response.status_code == 200 and response.content == b"subscription confirmed"
    (seen,) = sns.confirmations()
    assert seen.query["Token"] == [confirmation["Token"]]
    assert seen.query["Action"] == ["ConfirmSubscription"]

    elsewhere = sns.subscription_confirmation(subscribe_url="http://127.0.0.2:9/confirm?x=1")
    response = post(client, ses_config, elsewhere)
    assert response.status_code == 403 and b"SubscribeURL" in response.content
    tampered = sns.subscription_confirmation()
    tampered["SubscribeURL"] += "&Token=other"
    assert post(client, ses_config, tampered).status_code == 403
    foreign = sns.subscription_confirmation(topic=OTHER_TOPIC)
    assert post(client, ses_config, foreign).status_code == 403
    assert len(sns.confirmations()) == 1


def test_basic_auth_when_set_is_needed_besides_the_signature(client, ses_config, sns):
    ses_config.webhook_secret = "aws:sns-pass"
    ses_config.save()
    envelope = sns.notification(received())
    challenged = post(client, ses_config, envelope)
    assert challenged.status_code == 401
    url = f"/hooks/email/{ses_config.webhook_key}/amazon_ses/inbound/"
    auth = "Basic " + base64.b64encode(b"aws:sns-pass").decode()
    response = client.post(
        url,
        body_of(envelope),
        content_type="text/plain",
        HTTP_AUTHORIZATION=auth,
        **headers_for(envelope),
    )
    assert response.status_code == 200, response.content
    assert InboundEvent.objects.count() == 1
