"""The visible reply: a mail's text without the quoted history and the signature.

What real clients write below a reply, and how each is found here:
- ``>``-quoted lines (every plain-text client; the HTML converter writes Gmail's
  ``gmail_quote``, ``blockquote type="cite"``, Yahoo's and Proton's quote blocks the
  same way), usually after an attribution line: "On … wrote:", "Le … a écrit :",
  "Am … schrieb …:", "El … escribió:", "Op … schreef …:", "Il … ha scritto:",
  "Em … escreveu:", "Den … skrev …:", "W dniu … napisał(a):", "… пишет:", and any line
  ending in ":" that names an address and a date right before a quote;
- Outlook's "-----Original Message-----" (and its translations) and its header block
  ("From: … Sent: … To: … Subject: …", in several languages), after which nothing is
  quoted;
- the HTML converter's `CUT` line (Outlook ``divRplyFwdMsg``/``appendonsend``);
- signatures: a "-- " line (RFC 3676), the converter's `SIGNATURE` line, and the
  one-line footers of phones and webmail ("Sent from my iPhone").

Inline answers are kept: when new text sits between or after quoted lines, the
whole text is the reply. A forwarded message is not history: it stays. When trimming
would leave nothing, the whole text stays.
"""

from __future__ import annotations

import re

from frontdesk.connectors.email.htmltext import CUT, SIGNATURE, strip_markers

_MAX_MARKER_LINE = 400
_RULE_CHARS = "-_=*─━ \t"

# Attributions that open with a preposition ("On …", "Le …", "Am …"): enough with an
# address or a date/time in them.
_ATTRIBUTION = re.compile(
    r"""^(?:
        on\b.{3,300}\bwrote                              # en (Gmail, Apple Mail, Thunderbird)
      | le\b.{3,300}\ba\s[ée]crit                        # fr
      | am\b.{3,300}\bschrieb\b.{0,300}                  # de
      | el\b.{3,300}\bescribi[óo]                        # es
      | op\b.{3,300}\bschreef\b.{0,300}                  # nl
      | il\b.{3,300}\bha\sscritto                        # it
      | em\b.{3,300}\bescreveu                           # pt
      | (?:den|på)\b.{3,300}\bskrev\b.{0,300}            # sv, da, no
      | (?:w\sdniu|dnia)\b.{3,300}\bnapisa[łl].{0,4}     # pl
    )\s?[:：]\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Attributions known only by their ending ("Jane wrote:", "… пишет:", "… 写道："), or
# any line ending in ":" with an address: only right before a quote.
_ATTRIBUTION_WEAK = re.compile(
    r"""^(?:
        .{0,300}\b(?:wrote|пишет|написал[аи]?|написав|napsal[a]?|kirjoitti|yazd[ıi]|skrev)
      | .{0,300}(?:写道|のメッセージ|さんは書きました|작성)
      | .{0,300}@.{0,300}
    )\s?[:：]\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WHEN = re.compile(r"@|\d{1,2}[:h.]\d{2}|\b\d{4}\b")
_ORIGINAL_MESSAGE = re.compile(
    r"^[-_=*\s]{2,}\s*(?:original\s+message|ursprüngliche\s+nachricht|message\s+d.origine"
    r"|mensaje\s+original|oorspronkelijk\s+bericht|messaggio\s+originale|mensagem\s+original"
    r"|original\s+meddelelse|ursprungligt\s+meddelande|opprinnelig\s+melding"
    r"|alkuperäinen\s+viesti|oryginalna\s+wiadomość|исходное\s+сообщение|原始邮件|元のメッセージ"
    r"|reply\s+message)\s*[-_=*\s]{2,}$",
    re.IGNORECASE,
)
_FORWARD = re.compile(
    r"^(?:[-_=*\s]{2,}\s*(?:forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré"
    r"|mensaje\s+reenviado|doorgestuurd\s+bericht|messaggio\s+inoltrato|mensagem\s+encaminhada)"
    r"|begin\s+forwarded\s+message\s*:|début\s+du\s+message\s+réexpédié\s*:"
    r"|anfang\s+der\s+weitergeleiteten\s+nachricht\s*:)",
    re.IGNORECASE,
)
_LABEL = r"^\s*\*{{0,2}}\s*(?:{})\s*\*{{0,2}}\s*[:：]"
_FROM = re.compile(
    _LABEL.format(
        r"from|de|von|van|da|från|fra|od|от|lähettäjä|kimden|feladó|发件人|寄件者|差出人"
    ),
    re.IGNORECASE,
)
_SENT = re.compile(
    _LABEL.format(
        r"sent|date|envoyé|gesendet|datum|enviado|fecha|verzonden|inviato|data|skickat|sendt"
        r"|wysłano|отправлено|дата|lähetetty|gönderildi|tarih|发送时间|日期|日時|送信日時"
    ),
    re.IGNORECASE,
)
_TO_OR_SUBJECT = re.compile(
    _LABEL.format(
        r"to|à|a|an|para|aan|till|til|do|кому|vastaanottaja|kime|收件人|宛先"
        r"|subject|objet|betreff|asunto|onderwerp|oggetto|assunto|ämne|emne|temat|тема|aihe"
        r"|konu|主题|件名|cc"
    ),
    re.IGNORECASE,
)
_SEPARATOR = re.compile(r"^\s*[_=─━]{8,}\s*$")
_MOBILE_FOOTER = re.compile(
    r"^(?:(?:sent|envoy[ée]|enviado|verzonden|inviato|skickat|sendt|wysłane|отправлено)"
    r"\s+(?:from|de|desde|do|vanaf|da|från|fra|z|с|with)\b.{0,60}"
    r"|von\s+meine[mr]?\s.{0,40}gesendet\.?"
    r"|get\s+outlook\s+for\s+\S+"
    r"|télécharger\s+outlook\s+pour\s+\S+"
    r"|sent\s+with\s+proton\s?mail.{0,40})$",
    re.IGNORECASE,
)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _is_signature_start(line: str) -> bool:
    return line == SIGNATURE or line.rstrip() in ("--", "-- ", "—")


def _attribution_end(lines: list[str], i: int) -> int | None:
    """The last line of an attribution starting at line `i` (clients wrap long ones
    over two or three lines), or None."""
    joined = ""
    for j in range(i, min(i + 3, len(lines))):
        part = lines[j].strip()
        if not part or _is_quoted(lines[j]):
            return None
        joined = f"{joined} {part}" if joined else part
        if len(joined) > _MAX_MARKER_LINE:
            return None
        if not joined.endswith((":", "：")):
            continue
        after = _next_text_line(lines, j + 1)
        quoted_next = after is not None and _is_quoted(lines[after])
        if _ATTRIBUTION.match(joined) and (quoted_next or _WHEN.search(joined)):
            return j
        if quoted_next and _ATTRIBUTION_WEAK.match(joined):
            return j
    return None


def _header_block_at(lines: list[str], i: int) -> bool:
    if not _FROM.match(lines[i]):
        return False
    window = lines[i + 1 : i + 7]
    return any(_SENT.match(line) for line in window) and any(
        _TO_OR_SUBJECT.match(line) for line in window
    )


def _next_text_line(lines: list[str], start: int) -> int | None:
    for k in range(start, len(lines)):
        if lines[k].strip():
            return k
    return None


def _find_history(lines: list[str]) -> tuple[int, int, str] | None:
    """(first line, last line of the marker, kind) of the first history marker."""
    forwarded_at = -10
    for i, line in enumerate(lines):
        if line == CUT:
            return i, i, "cut"
        stripped = line.strip()
        if not stripped or len(stripped) > _MAX_MARKER_LINE or _is_quoted(line):
            continue
        # Cheap tests on the first character and the colon first: this runs per line.
        first = stripped[0]
        if first in _RULE_CHARS or first in "bBdDaA":
            if _FORWARD.match(stripped):
                forwarded_at = i
                continue
            if _ORIGINAL_MESSAGE.match(stripped):
                return i, i, "header"
            if _SEPARATOR.match(stripped):
                after = _next_text_line(lines, i + 1)
                if after is not None and after - i <= 2 and _header_block_at(lines, after):
                    return i, after, "header"
                continue
        colon = ":" in stripped[:40] or "：" in stripped[:40]
        if colon and i - forwarded_at > 3 and _header_block_at(lines, i):
            return i, i, "header"
        if not any(
            lines[j].rstrip().endswith((":", "：")) for j in range(i, min(i + 3, len(lines)))
        ):
            continue
        end = _attribution_end(lines, i)
        if end is not None:
            return i, end, "attribution"
    return None


def _has_new_text_after(lines: list[str], start: int) -> bool:
    """Whether unquoted text (not a signature, not a phone footer) follows a quote
    that starts at or after line `start`: an inline or bottom-posted answer."""
    seen_quote = False
    for line in lines[start:]:
        if line in (CUT, SIGNATURE):
            return False
        # After a quote, a signature or a list footer ("____" rule) ends the mail.
        if seen_quote and (_is_signature_start(line) or _SEPARATOR.match(line)):
            return False
        if _is_quoted(line):
            seen_quote = True
            continue
        stripped = line.strip()
        if seen_quote and stripped and not _MOBILE_FOOTER.match(stripped):
            return True
    return False


def _trim_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if i > 0 and _is_signature_start(line) and len(lines) - i <= 40:
            lines = lines[:i]
            break
    # Phone and webmail footers, at the very end.
    while lines and (not lines[-1].strip() or _MOBILE_FOOTER.match(lines[-1].strip())):
        if lines[-1].strip() and len(lines) == 1:
            break
        lines = lines[:-1]
    return lines


def _drop_trailing_separators(lines: list[str]) -> list[str]:
    while lines and (not lines[-1].strip() or _SEPARATOR.match(lines[-1])):
        lines = lines[:-1]
    return lines


def visible_reply(text: str) -> str:
    """The new text of a mail (see the module docstring); `text` may hold the HTML
    converter's marker lines. Linear in the length of `text`."""
    full = strip_markers(text).strip()
    if not full:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    history = _find_history(lines)
    if history is not None:
        start, end, kind = history
        if kind == "attribution" and _has_new_text_after(lines, end + 1):
            return full
        new = lines[:start]
    else:
        first_quote = next((i for i, line in enumerate(lines) if _is_quoted(line)), None)
        if first_quote is None:
            new = lines
        elif _has_new_text_after(lines, first_quote):
            return full
        else:
            new = lines[:first_quote]
    # New text that itself interleaves quotes (answers inline, then an old header).
    first_quote = next((i for i, line in enumerate(new) if _is_quoted(line)), None)
    if first_quote is not None and _has_new_text_after(new, first_quote):
        return full
    new = _drop_trailing_separators(new)
    new = _trim_signature(new)
    result = strip_markers("\n".join(new)).strip()
    return result or full
