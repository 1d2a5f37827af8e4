"""How long a text is, as carriers count it.

Two different counts: `utf16_units` is what a provider's body limit counts (Twilio
takes 1,600 UTF-16 code units per message; an emoji outside the BMP is two), and
`sms_length` is what staff see next to a text they write (characters, and how many
SMS segments it is billed as, which depends on its alphabet).
"""

from __future__ import annotations

from dataclasses import dataclass

# Twilio's limit for one message body (the adapter splits longer replies).
MAX_BODY_UNITS = 1600

# GSM 03.38: texts using only these characters travel 160 to a message (153 per part
# when split); one character outside them (an emoji, a curly quote) makes the whole
# text UCS-2, 70 to a message (67 per part), so it can cost two or three times more.
GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = set("^{}\\[~]|€\f")


def utf16_units(text: str) -> int:
    """Length as a provider's body limit counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class SmsLength:
    characters: int
    segments: int
    unicode: bool

    @property
    def too_long(self) -> bool:
        return self.characters > MAX_BODY_UNITS


def sms_length(text: str) -> SmsLength:
    """How many characters a text has and how many SMS segments it is billed as."""
    text = text.replace("\r\n", "\n")
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, part = 160, 153
        unicode = False
    else:
        # UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
        units = utf16_units(text)
        single, part = 70, 67
        unicode = True
    segments = 0 if units == 0 else 1 if units <= single else -(-units // part)
    return SmsLength(characters=len(text), segments=segments, unicode=unicode)
