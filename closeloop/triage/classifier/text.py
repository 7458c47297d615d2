"""Text normalisation and tokens for Chinese and English alike (module level, so picklable)."""

from __future__ import annotations

import re
import unicodedata

# CJK ideographs, kana and hangul: one token per character, since these scripts do not put
# spaces between words. Word n-grams over them are character n-grams, which classify Chinese
# better than jieba's words (docs/triage.md).
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)?")


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> list[str]:
    """Latin words (with an inner apostrophe: ``don't``) and single CJK characters."""
    return _TOKEN.findall(text)
