#!/usr/bin/env python
"""Email over SMTP, both directions, each beside its baseline in the same run.

Intake: `frontdesk smtpd` (a real process) against aiosmtpd alone (a process whose
handler answers 250 and keeps nothing), each receiving the same prepared messages
from the same smtplib clients (several threads, one connection each), for 1, 4 and 16
senders at once (a sending MTA opens up to 20 connections to one host; the rate with
the most senders is the receiving rate, the others show the wait for each commit).
Frontdesk
answers 250 only once `receive_raw` has stored the message (store first: the row and
its bytes committed); the intake worker is not running, so this is the receiving
rate alone. The stored rows are counted after the run.

Outbound: `EmailConnector.send` (building the MIME reply with its threading headers
and both parts, through Django's SMTP backend) against plain smtplib sending the
same prepared messages' bytes, one connection per message in both, to the same
aiosmtpd sink. Targets: each at least 50 % of its baseline.

    .venv/bin/python benchmarks/email_smtp.py
    .venv/bin/python benchmarks/email_smtp.py --engine postgres --messages 3000
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.common import frontdesk_env, log  # noqa: E402

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
ADDRESS = "desk@bench.example"

SINK = """
import asyncio, signal, sys
from aiosmtpd.controller import Controller
class Accept:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
controller = Controller(Accept(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=0)
controller.start()
signal.sigwait({signal.SIGINT, signal.SIGTERM})
controller.stop()
"""

SETUP = """
import django; django.setup()
from frontdesk.core.actions.workspaces import create_workspace
from frontdesk.core.models import User
from frontdesk.channels.email.actions import create_email_channel
owner = User.objects.create_user("owner@bench.example", "x" * 20)
ws = create_workspace(name="Bench Library", slug="bench", owner=owner, owner_display_name="Owner")
from frontdesk.core.models import Membership
create_email_channel(ws, name="Bench mail", setup={"address": ADDRESS}, by=Membership.objects.get())
""".replace("ADDRESS", repr(ADDRESS))

COUNT = """
import django; django.setup()
from frontdesk.inbox.models import InboundEvent
from frontdesk.channels.email.models import RawEmail
print(InboundEvent.objects.count(), RawEmail.objects.count())
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


class Process:
    def __init__(self, argv: list[str], env: dict[str, str], port: int, log_path: Path) -> None:
        self.argv, self.env, self.port, self.log_path = argv, env, port, log_path

    def __enter__(self) -> Process:
        self.handle = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, env=self.env, stdout=self.handle, stderr=subprocess.STDOUT, process_group=0
        )
        wait_for_port(self.port)
        return self

    def __exit__(self, *exc: object) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.handle.close()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of `pid` so far: what a server spends per message,
    which a busy machine changes far less than the rate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def prepared_mail(n: int) -> bytes:
    body = (
        "Hello,\r\n\r\nDo you have the new Ann Cleeves novel in large print? "
        f"I would like to put a hold on it. (request {n})\r\n\r\nThanks,\r\nGrace\r\n"
    )
    return (
        f"From: Grace Hopper <grace{n % 50}@example.org>\r\n"
        f"To: {ADDRESS}\r\n"
        f"Subject: Large print hold {n}\r\n"
        f"Date: {format_datetime(datetime.now(UTC))}\r\n"
        f"Message-ID: {make_msgid(domain='example.org')}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n" + body
    ).encode()


def blast(port: int, messages: list[bytes], clients: int) -> tuple[float, int]:
    """Send every message (split over `clients` connections); (seconds, accepted)."""
    accepted = [0] * clients
    start_line = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        mine = messages[index::clients]
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            smtp.ehlo()
            start_line.wait()
            for raw in mine:
                refused = smtp.sendmail("grace@example.org", [ADDRESS], raw)
                if not refused:
                    accepted[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began, sum(accepted)


def intake(args: argparse.Namespace, data: Path) -> dict[int, tuple[float, float]]:
    """(aiosmtpd alone's rate, frontdesk smtpd's rate) for each number of senders."""
    env = frontdesk_env(
        args.engine,
        data / "fd",
        pg_url=f"{PG_SERVER}/frontdesk_email_bench_{secrets.token_hex(4)}",
        redis_url="",
        default_redis="",
    )
    if args.engine == "postgres":
        subprocess.run(
            [
                "psql",
                PG_SERVER + "/postgres",
                "-c",
                f"CREATE DATABASE {env['DATABASE_URL'].rsplit('/', 1)[1]}",
            ],
            check=True,
            capture_output=True,
        )
    py = sys.executable
    subprocess.run([py, "-m", "frontdesk.cli", "migrate", "-v", "0"], env=env, check=True)
    subprocess.run([py, "-c", SETUP], env=env, check=True)
    rounds = {
        clients: [
            [
                prepared_mail((i * 2 * args.rounds + r) * args.messages + n)
                for n in range(args.messages)
            ]
            for r in range(2 * args.rounds)
        ]
        for i, clients in enumerate(args.clients)
    }
    warm = [prepared_mail(-n - 1) for n in range(50)]
    log_path = data / "servers.log"
    baseline_port, frontdesk_port = free_port(), free_port()
    smtpd = [py, "-m", "frontdesk.cli", "smtpd", "--host", "127.0.0.1"]
    smtpd += ["--port", str(frontdesk_port)]
    rates: dict[int, tuple[list[float], list[float]]] = {c: ([], []) for c in args.clients}
    # Both servers up at once and measured in turn, round after round, so a busy
    # moment of the machine weighs on both alike; the best round of each counts.
    cpu = {"alone": 0.0, "ours": 0.0}
    with (
        Process([py, "-c", SINK, str(baseline_port)], env, baseline_port, log_path) as sink,
        Process(smtpd, env, frontdesk_port, log_path) as server,
    ):
        blast(baseline_port, warm, 4)
        blast(frontdesk_port, warm, 4)
        for clients in args.clients:
            alone_rates, our_rates = rates[clients]
            for r in range(args.rounds):
                used = cpu_seconds(sink.process.pid)
                seconds, ok = blast(baseline_port, rounds[clients][2 * r], clients)
                cpu["alone"] += cpu_seconds(sink.process.pid) - used
                alone_rates.append(ok / seconds)
                log(
                    f"aiosmtpd alone, {clients} senders: {ok} in {seconds:.2f} s"
                    f" = {ok / seconds:,.0f}/s"
                )
                used = cpu_seconds(server.process.pid)
                seconds, ok = blast(frontdesk_port, rounds[clients][2 * r + 1], clients)
                cpu["ours"] += cpu_seconds(server.process.pid) - used
                our_rates.append(ok / seconds)
                log(
                    f"frontdesk smtpd, {clients} senders: {ok} in {seconds:.2f} s"
                    f" = {ok / seconds:,.0f}/s"
                )
    sent = args.rounds * args.messages * len(args.clients)
    log(
        f"CPU per message: aiosmtpd alone {cpu['alone'] / sent * 1000:.2f} ms, "
        f"frontdesk smtpd {cpu['ours'] / sent * 1000:.2f} ms"
    )
    sent_to_us = sent
    counted = subprocess.run([py, "-c", COUNT], env=env, check=True, capture_output=True, text=True)
    events, raws = (int(x) for x in counted.stdout.split())
    expected = sent_to_us + len(warm)
    log(f"stored: {events} events, {raws} raw mails (answered 250: {expected})")
    if args.engine == "postgres":
        name = env["DATABASE_URL"].rsplit("/", 1)[1]
        subprocess.run(
            ["psql", PG_SERVER + "/postgres", "-c", f"DROP DATABASE {name}"],
            check=True,
            capture_output=True,
        )
    if events != expected or raws != expected:
        raise SystemExit("stored count differs from what was answered 250")
    return {clients: (max(alone), max(ours)) for clients, (alone, ours) in rates.items()}


def outbound(args: argparse.Namespace) -> tuple[float, float]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frontdesk.settings")
    import django

    django.setup()
    from frontdesk.connectors.base import OutboundMessage
    from frontdesk.connectors.email.adapter import EmailAccount, EmailConnector, build_email

    port = free_port()
    env = dict(os.environ)
    with Process([sys.executable, "-c", SINK, str(port)], env, port, Path(os.devnull)):
        account = EmailAccount(
            address=ADDRESS,
            display_name="Bench Library",
            backend="django.core.mail.backends.smtp.EmailBackend",
            backend_options={"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 10},
        )
        replies = [
            OutboundMessage(
                to_address=f"grace{n}@example.org",
                to_name="Grace Hopper",
                body=f"Yes, it is on hold for you (hold {n}).\n\nPick it up at the front desk.",
                subject=f"Re: Large print hold {n} [#{n}]",
                sender_display_name="Maya Patel",
                signature="Maya Patel\nBench Library",
                reply_to=f"desk+c{n}-abcdefghijklmnop@bench.example",
                thread_key=f"<m{n}@example.org>",
                references=(f"<m{n}@example.org>",),
                marker=f"ref c{n}-abcdefghijklmnop",
            )
            for n in range(args.replies)
        ]
        prepared = []
        for reply in replies:
            built = build_email(account, reply)
            prepared.append(
                (built.from_email, built.recipients(), built.message().as_bytes(linesep="\r\n"))
            )
        connector = EmailConnector()
        plain_rates: list[float] = []
        our_rates: list[float] = []
        for _round in range(args.rounds):
            began = time.perf_counter()
            for sender, recipients, raw in prepared:
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                    smtp.sendmail(sender, recipients, raw)
            plain_rates.append(len(prepared) / (time.perf_counter() - began))
            began = time.perf_counter()
            for reply in replies:
                connector.send(account, reply)
            our_rates.append(len(replies) / (time.perf_counter() - began))
            log(f"smtplib {plain_rates[-1]:,.0f}/s, EmailConnector {our_rates[-1]:,.0f}/s")
        plain, ours = max(plain_rates), max(our_rates)
    return plain, ours


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument(
        "--clients",
        type=lambda text: sorted({int(n) for n in text.split(",")}),
        default=[1, 4, 16],
        help="senders at once (one SMTP connection each), comma-separated; the last is "
        "the receiving rate (a sending MTA opens up to 20 connections to one host)",
    )
    parser.add_argument("--replies", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; best counts")
    args = parser.parse_args(argv)
    data = Path(tempfile.mkdtemp(prefix="frontdesk-email-bench-"))
    os.environ["FRONTDESK_DATA_DIR"] = str(data / "outbound")
    try:
        intakes = intake(args, data)
        plain, sent = outbound(args)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print()
    senders = ",".join(str(c) for c in args.clients)
    print(
        f"engine: {args.engine}, {args.messages} messages x {args.rounds} rounds for each of "
        f"{senders} senders at once; best round of each"
    )
    print(f"{'':38}{'messages/s':>12}{'baseline':>12}{'ratio':>8}  target")
    for clients, (alone, ours) in intakes.items():
        label = f"intake: frontdesk smtpd, {clients} sender{'s' if clients > 1 else ''}"
        # The rate of a receiving server is its rate with senders enough to keep it
        # busy (the most senders here); with fewer, each sender's next message waits
        # for the commit of its last, so the rows below that measure that wait.
        target = ">= 50%" if clients == max(args.clients) else "(latency)"
        print(f"{label:38}{ours:12,.0f}{alone:12,.0f}{ours / alone:8.0%}  {target}")
    label = "outbound: EmailConnector.send"
    print(f"{label:38}{sent:12,.0f}{plain:12,.0f}{sent / plain:8.0%}  >= 50%")


if __name__ == "__main__":
    main()
