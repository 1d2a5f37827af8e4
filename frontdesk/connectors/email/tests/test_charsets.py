"""Charsets and transfer encodings as real mail sends them."""

from __future__ import annotations

import base64
import binascii

import pytest

from frontdesk.connectors.email.charsets import decode_bytes, decode_cp50220
from frontdesk.connectors.email.headers import decode_words, header_text
from frontdesk.connectors.email.parse import parse_message

from .helpers import message


def body(raw: bytes) -> str:
    return parse_message(raw).body_text_full


def test_iso_2022_jp_with_nec_extensions_is_read_as_cp50220():
    # "①会議" : ① is NEC row 13 (0x2D21), outside JIS X 0208, so the strict codec fails.
    jis = b"\x1b$B" + b"\x2d\x21" + "会議".encode("iso2022_jp")[3:-3] + b"\x1b(B"
    with pytest.raises(UnicodeDecodeError):
        jis.decode("iso2022_jp")
    assert body(message(jis, content_type="text/plain; charset=ISO-2022-JP")) == "①会議"


def test_cp50220_half_width_katakana():
    assert decode_cp50220(b"\x1b(I\x31\x32\x1b(B ok") == "ｱｲ ok"


def test_gb2312_label_is_read_as_gb18030():
    data = "价格 €5".encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb2312")
    assert body(message(data, content_type='text/plain; charset="gb2312"')) == "价格 €5"


def test_ks_c_5601_is_read_as_cp949():
    data = "똠방각하".encode("cp949")  # 똠 exists only in cp949 (UHC), not in EUC-KR
    with pytest.raises(UnicodeDecodeError):
        data.decode("euc_kr")
    assert body(message(data, content_type="text/plain; charset=ks_c_5601-1987")) == "똠방각하"


def test_latin1_label_with_windows_1252_quotes():
    data = "\u201cQuiet\u201d room \u2013 caf\u00e9".encode("cp1252")
    parsed = parse_message(message(data, content_type="text/plain; charset=iso-8859-1"))
    assert parsed.body_text_full == "\u201cQuiet\u201d room \u2013 caf\u00e9"


def test_latin1_label_on_utf8_bytes_reads_utf8_and_says_so():
    parsed = parse_message(message("Grüße aus Köln", content_type="text/plain; charset=iso-8859-1"))
    assert parsed.body_text_full == "Grüße aus Köln"
    assert any("bytes are UTF-8" in d for d in parsed.defects)


FRENCH = (
    "Bonjour, je voudrais réserver le livre « Les Misérables » pour jeudi prochain. "
    "Est-ce possible de le récupérer à l'accueil après dix-huit heures ? "
    "Merci beaucoup et très cordialement, Hélène Lefèvre"
)


def test_undeclared_charset_is_detected():
    parsed = parse_message(message(FRENCH.encode("cp1252"), content_type="text/plain"))
    assert parsed.body_text_full == FRENCH
    assert any("detected" in d for d in parsed.defects)
    assert parsed.language == "fr"


def test_unknown_charset_label_is_detected():
    parsed = parse_message(
        message(FRENCH.encode("utf-8"), content_type="text/plain; charset=x-foobar")
    )
    assert parsed.body_text_full == FRENCH
    assert any("unknown charset 'x-foobar'" in d for d in parsed.defects)


def test_utf7_and_utf16_bodies():
    text = "Café – 10 € ✓"
    assert body(message(text.encode("utf-7"), content_type="text/plain; charset=utf-7")) == text
    with_bom = text.encode("utf-16")
    assert body(message(with_bom, content_type="text/plain; charset=utf-16", cte="binary")) == text
    for raw in (text.encode("utf-16-be"), text.encode("utf-16-le")):
        encoded = base64.b64encode(raw).decode()
        assert (
            body(message(encoded, content_type="text/plain; charset=UTF-16", cte="base64")) == text
        )


def test_transfer_encodings_misspelt_and_uuencoded():
    qp = "Caf=C3=A9 au lait, soft=\r\nbreak"
    assert body(message(qp, cte="quoted-printable ")) == "Café au lait, softbreak"
    b64 = base64.b64encode("Bücher zurück".encode()).decode().rstrip("=")  # padding lost
    assert body(message(b64, cte="Base64;")) == "Bücher zurück"
    uu = f"begin 644 note.txt\r\n{binascii.b2a_uu(b'hello').decode()}`\r\nend\r\n"
    assert body(message(uu, cte="x-uuencode")) == "hello"
    assert (
        body(
            message(
                "Stra\xdfe".encode("latin-1"), content_type="text/plain; charset=latin1", cte="8bit"
            )
        )
        == "Straße"
    )


def test_rfc2047_words_joined_even_when_a_character_is_split():
    # "日本語" in UTF-8, cut in the middle of the second character across two words.
    data = "日本語".encode()
    first = base64.b64encode(data[:4]).decode()
    second = base64.b64encode(data[4:]).decode()
    value = f"=?UTF-8?B?{first}?=\r\n =?UTF-8?B?{second}?= ok"
    assert header_text(value, []) == "日本語 ok"


def test_broken_encoded_words():
    defects: list[str] = []
    # Spaces inside a Q word, no space before it, an unknown charset, a language tag.
    assert decode_words("Re:=?utf-8?Q?Caf=C3=A9 noir?=", defects) == "Re:Café noir"
    assert decode_words("=?utf-8*en?Q?hello?=", defects) == "hello"
    assert decode_words("=?x-nope?Q?plain?=", defects) == "plain"
    assert decode_words("=?iso-8859-1?B?Q2Fm6Q?=", defects) == "Café"  # no padding


def test_raw_utf8_and_latin1_in_headers():
    parsed = parse_message(message("x", subject="Bücher zurückgeben"))
    assert parsed.subject == "Bücher zurückgeben"
    latin = (
        "Subject: Réservation\r\nFrom: Zoé <zoe@example.fr>\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nt\xe9l\xe9phone"
    )
    parsed = parse_message(latin.encode("latin-1"))
    assert parsed.subject == "Réservation"
    assert parsed.from_name == "Zoé" and parsed.from_address == "zoe@example.fr"
    assert parsed.body_text_full == "téléphone"


def test_decode_bytes_never_raises_on_junk():
    defects: list[str] = []
    text = decode_bytes(bytes(range(256)) * 4, "utf-8", defects)
    assert len(text) >= 256
    assert defects


def test_encoded_word_holding_raw_unicode():
    # Found by mutating corpus mail: a Q word whose text is not ASCII.
    assert decode_words("=?utf-8?Q?caf\u00e9_\u060c?=", []) == "caf\u00e9 \u060c"
