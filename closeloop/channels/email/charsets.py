"""Turning the bytes of real-world mail into text: declared charsets that lie, Chinese labels
that mean a bigger charset than they say, RFC 2047 encoded words and raw 8-bit headers.

Nothing here raises on bad input: the last fallback (Latin-1) decodes every byte string.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

# Labels mailers write for a smaller charset than they use: GB2312-labelled mail routinely
# holds GBK characters, GBK is a subset of GB18030, Big5 mail holds HKSCS characters.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "euc-cn": "gb18030",
    "csgb2312": "gb18030",
    "x-euc-cn": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "us-ascii": "ascii",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
}
# Labels that say "Western" but are often pasted onto Chinese or UTF-8 text by a broken
# mailer: the text is checked against those before Latin-1 is believed.
_WESTERN = frozenset({"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "ascii"})
_CHINESE_PREFIXES = ("gb", "big5", "x-gbk", "cp936", "euc-cn", "hz", "chinese", "x-big5")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"^[ \t\r\n]+$")


def _codec(label: str) -> str | None:
    name = label.strip().strip('"').lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _mostly_cjk(text: str) -> bool:
    """Whether non-ASCII characters of ``text`` are mostly Chinese (a GB reading makes sense)."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if len(wide) < 2:
        return False
    cjk = sum(
        1
        for ch in wide
        if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"
    )
    return cjk / len(wide) >= 0.8


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode ``data`` by its declared charset, else GB18030 for Chinese labels, UTF-8, and
    Latin-1 last (which never fails), so a mislabelled part still reads."""
    label = (declared or "").strip().strip('"').lower()
    codec = _codec(label) if label else None
    if not any(byte > 0x7F for byte in data) and codec not in ("utf-16", "utf-32", "utf-7"):
        # Plain ASCII (or ISO-2022 escapes, which stay 7-bit): the declared codec if any.
        if codec and codec.startswith("iso2022"):
            try:
                return data.decode(codec)
            except (UnicodeDecodeError, LookupError):
                pass
        return data.decode("ascii", errors="replace")
    attempts: list[str] = []
    if codec and label not in _WESTERN and codec not in ("ascii",):
        attempts.append(codec)
    if label.startswith(_CHINESE_PREFIXES):
        attempts.append("gb18030")
    attempts.append("utf-8")
    for name in attempts:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    if label in _WESTERN or not label:
        # A "Latin-1" part that reads as Chinese in GB18030 was written by a Chinese mailer
        # that forgot its charset; Western text rarely survives a strict GB18030 decode.
        try:
            chinese = data.decode("gb18030")
        except UnicodeDecodeError:
            chinese = ""
        if chinese and _mostly_cjk(chinese):
            return chinese
        return data.decode(
            "cp1252" if label in ("windows-1252", "cp1252") else "latin-1", "replace"
        )
    return data.decode("latin-1")


def _word_bytes(encoding: str, payload: str) -> bytes:
    try:
        if encoding in "bB":
            cleaned = payload.strip()
            cleaned += "=" * (-len(cleaned) % 4)
            return base64.b64decode(cleaned, validate=False)
        return quopri.decodestring(
            payload.replace("_", " ").encode("ascii", "replace"), header=True
        )
    except (binascii.Error, ValueError):
        return payload.encode("ascii", "replace")


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words; adjacent words in one charset are joined as bytes first,
    since some mailers split a multi-byte character across two words."""
    if "=?" not in value:
        return value
    pieces: list[str] = []
    position = 0
    pending: tuple[str, bytearray] | None = None
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        charset = match.group(1).split("*", 1)[0]
        chunk = _word_bytes(match.group(2), match.group(3))
        if pending is not None and (between == "" or _BETWEEN_WORDS.match(between)):
            if pending[0].lower() == charset.lower():
                pending[1].extend(chunk)
            else:
                pieces.append(decode_bytes(bytes(pending[1]), pending[0]))
                pending = (charset, bytearray(chunk))
        else:
            if pending is not None:
                pieces.append(decode_bytes(bytes(pending[1]), pending[0]))
            pieces.append(between)
            pending = (charset, bytearray(chunk))
        position = match.end()
    if pending is not None:
        pieces.append(decode_bytes(bytes(pending[1]), pending[0]))
    pieces.append(value[position:])
    return "".join(pieces)


def decode_header_value(raw: str) -> str:
    """A header as the parser holds it (8-bit bytes kept as surrogate escapes) to text."""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        data = raw.encode("utf-8", "surrogateescape")
        raw = decode_bytes(data, None)
    unfolded = re.sub(r"\r?\n[ \t]+", " ", raw)
    text = decode_words(unfolded)
    return "".join(ch for ch in text if ch >= " " or ch == "\t").strip()
