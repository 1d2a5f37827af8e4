"""`frontdesk smtpd` driven by a real SMTP client (smtplib) over loopback."""

from __future__ import annotations

import smtplib
import ssl
import subprocess

import pytest

from frontdesk.channels.email.smtpd import make_controller
from frontdesk.channels.email.tests.conftest import free_port, write_mail
from frontdesk.inbox.models import InboundEvent, Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtpd(email_channel, config):
    config.max_message_bytes = 20_000
    config.save(update_fields=["max_message_bytes"])
    port = free_port()
    controller = make_controller(host="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


def test_unknown_recipients_get_550_at_rcpt(smtpd):
    with smtplib.SMTP("127.0.0.1", smtpd) as client:
        client.ehlo()
        client.mail("grace@example.org")
        code, text = client.rcpt("someone@elsewhere.example")
        assert code == 550 and b"No such mailbox" in text
        assert client.rcpt("desk@riverside.example")[0] == 250
        assert client.rcpt("DESK+c1-anything@Riverside.example")[0] == 250


def test_size_is_advertised_and_a_bigger_message_gets_552(smtpd):
    with smtplib.SMTP("127.0.0.1", smtpd) as client:
        client.ehlo()
        assert client.has_extn("size") and int(client.esmtp_features["size"]) == 20_000
        big = write_mail(body="x" * 30_000)
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("grace@example.org", ["desk@riverside.example"], big)
        assert refused.value.smtp_code == 552
    assert not InboundEvent.objects.exists()


def test_250_means_stored_and_the_message_is_in_the_inbox_after_intake(smtpd, email_channel):
    raw = write_mail(subject="Hello over SMTP")
    with smtplib.SMTP("127.0.0.1", smtpd) as client:
        refused = client.sendmail("grace@example.org", ["desk@riverside.example"], raw)
    assert refused == {}
    # Stored before the 250 (tasks run inline here, so intake ran right after commit).
    event = InboundEvent.objects.get()
    assert event.email_raw.via == "smtpd"
    message = Message.objects.get(inbound_event=event)
    assert message.subject == "Hello over SMTP"
    assert message.conversation.channel_id == email_channel.pk


def test_starttls_is_offered_with_a_certificate(email_channel, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    port = free_port()
    controller = make_controller(host="127.0.0.1", port=port, certificate=str(cert), key=str(key))
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.ehlo()
            assert client.has_extn("starttls")
            context = ssl.create_default_context(cafile=str(cert))
            context.check_hostname = False
            client.starttls(context=context)
            client.ehlo()
            client.sendmail("grace@example.org", ["desk@riverside.example"], write_mail())
    finally:
        controller.stop()
    assert InboundEvent.objects.count() == 1


def _send_all(port: int, mails: list[bytes], clients: int) -> list[tuple[int, bytes]]:
    """Send `mails` over `clients` parallel connections; each DATA's (code, text)."""
    import threading

    answers: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def client(mine: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.ehlo()
            for raw in mine:
                smtp.mail("grace@example.org")
                smtp.rcpt("desk@riverside.example")
                try:
                    answer = smtp.data(raw)
                except smtplib.SMTPDataError as refused:
                    answer = (refused.smtp_code, refused.smtp_error)
                    smtp.rset()
                with lock:
                    answers.append(answer)

    threads = [threading.Thread(target=client, args=(mails[i::clients],)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_parallel_senders_share_commits_and_every_250_is_stored(smtpd, monkeypatch):
    from frontdesk.channels.email import smtpd as module

    batches: list[int] = []
    real = module.FrontdeskHandler._store_batch

    def counting(self, items):
        batches.append(len(items))
        return real(self, items)

    monkeypatch.setattr(module.FrontdeskHandler, "_store_batch", counting)
    mails = [write_mail(subject=f"Parallel {n}") for n in range(40)]
    answers = _send_all(smtpd, mails, clients=6)
    assert [code for code, _text in answers] == [250] * 40
    assert sum(batches) == 40  # every message went through a committed batch
    subjects = set(InboundEvent.objects.values_list("subject", flat=True))
    assert subjects == {f"Parallel {n}" for n in range(40)}


def test_a_message_that_cannot_be_stored_fails_alone(smtpd, monkeypatch):
    from frontdesk.channels.email import smtpd as module

    real, real_many = module.receive_raw, module.receive_many

    def refuses_one(channel, raw, **kwargs):
        if b"Subject: Poison" in raw:
            raise RuntimeError("the database refused this one")
        return real(channel, raw, **kwargs)

    def refuses_a_batch_with_it(mails, **kwargs):
        if any(b"Subject: Poison" in mail.raw for mail in mails):
            raise RuntimeError("the database refused the transaction holding it")
        return real_many(mails, **kwargs)

    monkeypatch.setattr(module, "receive_raw", refuses_one)
    monkeypatch.setattr(module, "receive_many", refuses_a_batch_with_it)
    mails = [write_mail(subject="Poison")] + [write_mail(subject=f"Fine {n}") for n in range(11)]
    answers = _send_all(smtpd, mails, clients=4)
    codes = sorted(code for code, _text in answers)
    assert codes == [250] * 11 + [451]
    subjects = set(InboundEvent.objects.values_list("subject", flat=True))
    assert subjects == {f"Fine {n}" for n in range(11)}


def test_a_message_delivered_again_is_answered_250_and_stored_once(smtpd):
    """A sending server that never saw our 250 (a lost connection) sends again: the
    retry is accepted and recognised, in one batch or in two."""
    raw = write_mail(subject="Sent twice")
    answers = _send_all(smtpd, [raw, raw, raw, write_mail(subject="Other")], clients=4)
    assert [code for code, _text in answers] == [250] * 4
    assert sorted(InboundEvent.objects.values_list("subject", flat=True)) == [
        "Other",
        "Sent twice",
    ]


def _paths() -> list[str]:
    """MAIL FROM / RCPT TO arguments as sending servers write them, and odd ones."""
    import itertools
    import random

    locals_ = ["grace", "Grace.Hopper", "desk+c42-ab12", "a!#$%&'*+/=?^_`{|}~-z", "x", '"a b"']
    locals_ += ["a..b", ".a", "a.", "ü"]
    domains = ["example.org", "EXAMPLE.org", "a-b.c", "localhost", "[127.0.0.1]", "a..b", "-"]
    params = ["", " SIZE=1234", "  SIZE=1 BODY=8BITMIME", " SIZE=1 ", "\tSIZE=1", "x", " "]
    found = [f"<{lp}@{d}>{p}" for lp, d, p in itertools.product(locals_, domains, params)]
    found += ["<>", "<> SIZE=1", "grace@example.org", " <grace@example.org>", "<@a,@b:c@d>"]
    found += ["<grace@example.org", "grace@example.org>", "<grace@@example.org>", ""]
    rng = random.Random(7)
    alphabet = 'ab.@<> \t"()[],:;\\+=-_1'
    found += [
        "<" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(3000)
    ]
    return found


def _outcome(read, arg):
    try:
        return read(arg)
    except Exception as exc:  # aiosmtpd's reading raises on some (IndexError on "<")
        return type(exc)


def test_plain_paths_are_read_as_aiosmtpd_reads_them():
    """`FrontdeskSMTP` reads `<local@domain>` without the email package's parser:
    for every argument it gives what aiosmtpd itself gives, with or without the
    local-part limit (and it really takes its own way for the plain ones)."""
    from aiosmtpd.smtp import SMTP

    from frontdesk.channels.email.smtpd import _PLAIN_PATH, FrontdeskSMTP

    plain = 0
    for limit in (0, 5):
        ours, theirs = FrontdeskSMTP.__new__(FrontdeskSMTP), SMTP.__new__(SMTP)
        ours.local_part_limit = theirs.local_part_limit = limit
        for arg in _paths():
            assert _outcome(ours._getaddr, arg) == _outcome(theirs._getaddr, arg), arg
            plain += _PLAIN_PATH.fullmatch(arg) is not None
    assert plain > 50


def test_the_receiver_serves_its_own_sessions(smtpd):
    from frontdesk.channels.email.smtpd import FrontdeskSMTP, make_controller

    port = free_port()
    controller = make_controller(host="127.0.0.1", port=port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.ehlo()
        assert isinstance(controller.smtpd, FrontdeskSMTP)
    finally:
        controller.stop()


def test_a_session_that_gives_up_before_data_does_not_hold_back_the_others(smtpd):
    """Commits wait a moment for sessions with a recipient accepted and no DATA yet;
    a session that resets (or hangs up) is no longer waited for."""
    import gc

    from frontdesk.channels.email.smtpd import FrontdeskHandler

    with smtplib.SMTP("127.0.0.1", smtpd, timeout=30) as quitter:
        quitter.mail("grace@example.org")
        quitter.rcpt("desk@riverside.example")
        quitter.rset()
        with smtplib.SMTP("127.0.0.1", smtpd, timeout=30) as sender:
            sender.sendmail("ada@example.org", ["desk@riverside.example"], write_mail(subject="Hi"))
    gc.collect()
    handlers = [o for o in gc.get_objects() if isinstance(o, FrontdeskHandler)]
    assert handlers and all(len(h._coming) == 0 for h in handlers)
    assert InboundEvent.objects.filter(subject="Hi").count() == 1


@pytest.mark.parametrize(
    ("given", "env", "says"),
    [
        (["--writers", "0"], {}, "--writers (FRONTDESK_SMTPD_WRITERS) must be 1 or more, not 0"),
        (["--max-size", "-5"], {}, "--max-size (FRONTDESK_SMTPD_MAX_BYTES) must be 0 or more"),
        ([], {"FRONTDESK_SMTPD_WRITERS": "two"}, "argument --writers: invalid int value: 'two'"),
    ],
)
def test_a_bad_option_is_a_usage_error_not_a_silent_default(given, env, says, monkeypatch):
    from django.core.management import CommandError, call_command

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(CommandError) as refused:
        call_command("smtpd", *given)
    assert says in str(refused.value)
