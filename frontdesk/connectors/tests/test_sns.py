"""Which addresses an SNS signing certificate or subscription confirmation may come
from, with the default allow-list (AWS's own hosts): nothing is fetched here."""

from __future__ import annotations

import pytest

from frontdesk.connectors.email.sns import DEFAULT_ALLOWED_URLS, canonical_string, is_allowed_url


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=x",
        "https://SNS.ap-southeast-2.amazonaws.com:443/SimpleNotificationService-abc.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
    ],
)
def test_aws_sns_addresses_are_allowed(url):
    assert is_allowed_url(url, DEFAULT_ALLOWED_URLS)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-abc.pem",
        "https://sns.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-east-1.amazonaws.com.attacker.example/x.pem",
        "https://attacker.example/https://sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com@attacker.example/x.pem",
        "https://user@sns.us-east-1.amazonaws.com/x.pem",
        "https://s3.us-east-1.amazonaws.com/x.pem",
        "https://sns.us_east.amazonaws.com/x.pem",
        "https://sns.a.b.amazonaws.com/x.pem",
        "not a url",
        "",
    ],
)
def test_other_addresses_are_not(url):
    assert not is_allowed_url(url, DEFAULT_ALLOWED_URLS)


def test_the_signed_string_takes_the_types_fields_in_order_and_skips_absent_ones():
    notification = {
        "Type": "Notification",
        "TopicArn": "arn:aws:sns:us-east-1:1:t",
        "Timestamp": "2026-12-04T16:00:00.000Z",
        "MessageId": "m-1",
        "Message": "hello",
        "Subject": None,
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
    assert canonical_string(notification) == (
        b"Message\nhello\nMessageId\nm-1\nTimestamp\n2026-12-04T16:00:00.000Z\n"
        b"TopicArn\narn:aws:sns:us-east-1:1:t\nType\nNotification\n"
    )
    confirmation = notification | {
        "Type": "SubscriptionConfirmation",
        "Token": "tok",
        "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription",
        "Subject": "ignored for confirmations",
    }
    assert canonical_string(confirmation) == (
        b"Message\nhello\nMessageId\nm-1\n"
        b"SubscribeURL\nhttps://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription\n"
        b"Timestamp\n2026-12-04T16:00:00.000Z\nToken\ntok\n"
        b"TopicArn\narn:aws:sns:us-east-1:1:t\nType\nSubscriptionConfirmation\n"
    )
