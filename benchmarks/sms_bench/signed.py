"""Pre-built, signed Twilio webhook requests: one file per wrk thread, none repeated.

Each request is the raw HTTP a Twilio inbound-SMS webhook sends (a form-encoded POST
with Twilio's parameters), signed by the `twilio` package's RequestValidator over the
public URL plus the sorted parameters, with a MessageSid that no other request in
the run has. The sid encodes (run, batch, thread, index), so the benchmark knows
every sid it sent without keeping a list.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

# Short texts a library desk gets; no keyword (STOP, HELP, START…) so processing
# sends nothing back.
TEXTS = [
    "Hi, is the library open on Sunday?",
    "Can I renew my books by text? Card ends 4417",
    "Do you have Where the Crawdads Sing on hold shelf yet",
    "my kid left a blue water bottle in the children's room yesterday",
    "What time does story time start tomorrow?",
    "Is the printer working today? I need to print a boarding pass",
    "Hola, ¿tienen libros en español para niños?",
    "Thanks so much for your help last week 🙏",
    "Can someone call me back about the passport appointment",
    "Is parking free after 6pm?",
    "I lost my library card, how do I get a new one",
    "Are the meeting rooms bookable for a study group of 6?",
    "The book drop is full, can I leave books at the front desk",
    "Do you still have the museum passes?",
    "When is the used book sale this year?",
]


@dataclass(frozen=True)
class Endpoint:
    """Where the signed requests go and what they are signed with."""

    path: str  # e.g. /hooks/sms/<key>/
    public_url: str  # what the server checks the signature against (base + path)
    host: str  # the Host header, 127.0.0.1:<port>
    auth_token: str
    account_sid: str
    to_number: str


@dataclass(frozen=True)
class Batch:
    """A folder of <thread>.req files: `per_thread` requests for each of `threads`."""

    folder: Path
    run: str  # 8 hex digits, this benchmark run
    number: int  # which batch of the run (0-255)
    threads: int
    per_thread: int

    def sid(self, thread: int, index: int) -> str:
        """The MessageSid of request `index` (1-based, as the Lua script counts) of
        `thread`: "SM" and 32 hex digits, as Twilio's are."""
        return f"SM{self.run}{self.number:02x}{thread:04x}{index:018x}"

    def sids(self, thread: int, count: int) -> list[str]:
        return [self.sid(thread, index) for index in range(1, count + 1)]

    def all_sids(self) -> set[str]:
        return {self.sid(t, i) for t in range(self.threads) for i in range(1, self.per_thread + 1)}


def sender(number: int) -> str:
    """A US mobile number in the 555 exchange, one per simulated customer."""
    return f"+1503555{number % 10000:04d}"


def write_batch(
    folder: Path,
    endpoint: Endpoint,
    *,
    run: str,
    number: int,
    threads: int,
    per_thread: int,
    senders: int,
    seed: int,
) -> Batch:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    batch = Batch(folder, run, number, threads, per_thread)
    validator = RequestValidator(endpoint.auth_token)
    rng = random.Random(f"{seed}-{run}-{number}")
    for thread in range(threads):
        chunks: list[bytes] = []
        for index in range(1, per_thread + 1):
            sid = batch.sid(thread, index)
            params = twilio_inbound_params(
                sid,
                from_number=sender(rng.randrange(senders)),
                to_number=endpoint.to_number,
                account_sid=endpoint.account_sid,
                body=rng.choice(TEXTS),
            )
            signature = validator.compute_signature(endpoint.public_url, params)
            body = urlencode(params).encode()
            head = (
                f"POST {endpoint.path} HTTP/1.1\r\n"
                f"Host: {endpoint.host}\r\n"
                "User-Agent: TwilioProxy/1.1\r\n"
                "Accept: */*\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"X-Twilio-Signature: {signature}\r\n"
                f"Content-Length: {len(body)}\r\n"
                "\r\n"
            ).encode()
            chunks.append(head + body + b"\0")
        (folder / f"{thread}.req").write_bytes(b"".join(chunks))
    return batch


def twilio_inbound_params(
    sid: str, *, from_number: str, to_number: str, account_sid: str, body: str
) -> dict[str, str]:
    """The parameters of Twilio's inbound-SMS webhook, in the order Twilio sends them."""
    return {
        "ToCountry": "US",
        "ToState": "OR",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "PORTLAND",
        "FromZip": "97201",
        "SmsSid": sid,
        "FromState": "OR",
        "SmsStatus": "received",
        "FromCity": "PORTLAND",
        "Body": body,
        "FromCountry": "US",
        "To": to_number,
        "ToZip": "97205",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_number,
        "ApiVersion": "2010-04-01",
    }
