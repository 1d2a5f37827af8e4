"""Is this mail from a person? Auto-replies, bounces and list mail.

Wire facts:
- RFC 3834 (https://www.rfc-editor.org/rfc/rfc3834): ``Auto-Submitted`` other than
  ``no`` marks machine-sent mail; ``Precedence: auto_reply|bulk|junk`` and
  ``X-Autoreply``/``X-Autorespond`` are the older conventions; Exchange sets
  ``X-Auto-Response-Suppress`` on its own automatic mail; auto-replies and bounces go
  out with the null reverse path, ``Return-Path: <>``.
- RFC 3464 (https://www.rfc-editor.org/rfc/rfc3464): a bounce is
  ``multipart/report; report-type=delivery-status`` holding a
  ``message/delivery-status`` part: one block of per-message fields, then one block per
  recipient with ``Final-Recipient: rfc822; addr``, ``Action: failed|delayed|…``,
  ``Status: 5.1.1`` and ``Diagnostic-Code: smtp; 550 …``. Older MTAs (qmail, old
  Exim) send plain text from MAILER-DAEMON instead.
- RFC 2369/2919: ``List-Id``/``List-Unsubscribe`` (and ``Precedence: list``) mark list
  mail, which is still written by a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_OUT_OF_OFFICE = re.compile(
    r"^\s*(?:\[?auto(?:matic|matische)?[ -]?(?:reply|response|antwort|answer)\]?"
    r"|out of (?:the )?office|away from (?:the|my) office|on vacation|on holiday"
    r"|r[ée]ponse automatique|absence du bureau|absent(?:e)? du bureau|message d.absence"
    r"|abwesenheitsnotiz|automatische antwort|abwesend|nicht im büro"
    r"|respuesta autom[aá]tica|fuera de la oficina|ausente"
    r"|risposta automatica|fuori (?:sede|ufficio)|assente"
    r"|resposta autom[aá]tica|fora do escrit[óo]rio"
    r"|automatisch antwoord|afwezig|niet aanwezig"
    r"|autosvar|automatiskt svar|frånvaro|fravær|poza biurem|automatyczna odpowied[źz]"
    r"|автоответ|автоматический ответ|自动回复|自動応答|自動返信|不在)",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered mail|delivery status notification \((?:failure|delay)\)"
    r"|mail delivery fail|delivery failure|failure notice|returned mail|"
    r"non[- ]?delivery|delivery has failed|could not be delivered|unzustellbar"
    r"|non remis|no se puede entregar|onbestelbaar|mail system error",
    re.IGNORECASE,
)
_BOUNCE_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)
# Bounce texts name the failed address at the start of a line: "<a@b>:" (qmail,
# Postfix), "  a@b" (Exim), "a@b: 550 …".
_FAILED_LINE = re.compile(
    r"^[ \t]*<?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?[ \t]*(?::|$)",
    re.MULTILINE,
)
_SMTP_REASON = re.compile(r"\b(?:[45]\d\d[ -]|[45]\.\d{1,3}\.\d{1,3}\b)")


def is_auto_reply(headers: Mapping[str, str], subject: str) -> bool:
    """Machine-sent by the headers (or an out-of-office subject). List-Id alone is not."""
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return True
    if any(name in headers for name in ("x-autoreply", "x-autorespond", "x-autoresponse")):
        return True
    if headers.get("x-auto-response-suppress", "").strip():
        return True
    precedence = headers.get("precedence", "").strip().lower()
    if precedence in ("auto_reply", "bulk", "junk"):
        return True
    if headers.get("return-path", "").replace(" ", "") == "<>":
        return True
    return bool(_OUT_OF_OFFICE.match(subject))


def is_list_mail(headers: Mapping[str, str]) -> bool:
    if "list-id" in headers or "list-unsubscribe" in headers or "mailing-list" in headers:
        return True
    return headers.get("precedence", "").strip().lower() == "list"


def looks_like_bounce(headers: Mapping[str, str], subject: str, from_address: str) -> bool:
    """A bounce without a delivery-status part: from the mailer daemon (or the null
    sender) with a bounce-like subject."""
    null_sender = headers.get("return-path", "").replace(" ", "") == "<>"
    from_daemon = bool(_BOUNCE_SENDER.match(from_address))
    return (from_daemon or null_sender) and bool(_BOUNCE_SUBJECT.search(subject))


def read_delivery_status(blocks: Iterable[Mapping[str, str]]) -> tuple[list[str], str, bool]:
    """(failed recipients, reason, any failed) from the field blocks of a
    message/delivery-status part (names lower-cased). Delayed or delivered reports
    name no failed recipient."""
    recipients: list[str] = []
    reasons: list[str] = []
    failed = False
    for block in blocks:
        recipient = block.get("final-recipient") or block.get("original-recipient") or ""
        if not recipient:
            continue
        action = block.get("action", "").strip().lower()
        status = block.get("status", "").strip()
        if action in ("delayed", "delivered", "relayed", "expanded"):
            continue
        if not action and not status.startswith("5"):
            continue
        failed = True
        address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
        if address and address not in recipients:
            recipients.append(address)
        diagnostic = block.get("diagnostic-code", "").split(";", 1)[-1].strip()
        reason = " ".join(part for part in (status, diagnostic) if part)
        if reason and reason not in reasons:
            reasons.append(reason)
    return recipients, "; ".join(reasons)[:1000], failed


def read_plain_bounce(text: str, own: Iterable[str]) -> tuple[list[str], str]:
    """Recipients and a reason from a bounce written as text (qmail, Exim, Exchange
    without a report part): the addresses it names other than the mail's own, and the
    first SMTP error line. Addresses count only at the start of a line."""
    skip = {a.lower() for a in own}
    recipients: list[str] = []
    for match in _FAILED_LINE.finditer(text[:20_000]):
        address = match.group(1).lower().rstrip(".")
        if address in skip or _BOUNCE_SENDER.match(address) or address in recipients:
            continue
        recipients.append(address)
        if len(recipients) >= 20:
            break
    head = text[:20_000]
    reason = ""
    if code := _SMTP_REASON.search(head):
        # The whole line the error code is on: "Sorry, no mailbox here by that name. (#5.1.1)"
        start = head.rfind("\n", 0, code.start()) + 1
        end = head.find("\n", code.end())
        reason = head[start : end if end != -1 else len(head)].strip()
    return recipients, reason[:1000]
