"""Closeloop's own tokeniser for search: the same tokens go into both databases' indexes and
into every query, so SQLite and PostgreSQL see exactly the same words.

Text is NFKC-normalised and case-folded; words are runs of letters and digits; runs of Han
characters are segmented by jieba in search mode (售后服务 also yields 售后 and 服务).
Everything else (punctuation, symbols, spaces) separates tokens and is dropped.
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Longer "words" are hashes, URLs run together or noise; PostgreSQL also caps lexemes.
MAX_TOKEN_LENGTH = 64

# Letters and digits of any script (``\w`` without the underscore).
_WORD = re.compile(r"[^\W_]+")
_HAN = re.compile(
    "([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f]+)"
)

_jieba_lock = threading.Lock()
_jieba: Any = None


def _cache_dir() -> Path:
    """The data directory when Django is configured, else the system's temporary directory."""
    try:
        from django.conf import settings

        if settings.configured and getattr(settings, "DATA_DIR", None):
            return Path(settings.DATA_DIR)
    except ImportError:  # pragma: no cover - Django is always installed here
        pass
    return Path(tempfile.gettempdir())


def _segmenter() -> Any:
    """jieba's tokenizer, initialised once per process, quietly, caching outside site-packages."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                segmenter = jieba.Tokenizer()
                segmenter.tmp_dir = str(_cache_dir())
                segmenter.cache_file = "closeloop-jieba.cache"
                segmenter.initialize()
                _jieba = segmenter
    return _jieba


def normalize(text: str) -> str:
    """NFKC and case folding: what every token is made of."""
    return unicodedata.normalize("NFKC", text).casefold()


def _han_words(run: str) -> Iterator[tuple[str, int, int]]:
    for word, start, end in _segmenter().tokenize(run, mode="search"):
        if word.isalnum():
            yield word, start, end


def _run_tokens(run: str) -> Iterator[tuple[str, int, int]]:
    """Tokens of one run of letters and digits, with offsets into the run."""
    offset = 0
    for index, part in enumerate(_HAN.split(run)):
        if part:
            if index % 2:  # the odd parts are the Han runs the pattern captured
                for word, start, end in _han_words(part):
                    yield word, offset + start, offset + end
            elif len(part) <= MAX_TOKEN_LENGTH:
                yield part, offset, offset + len(part)
        offset += len(part)


def tokenize(text: str) -> list[str]:
    """The search tokens of ``text``: normalised words, Han runs segmented, punctuation gone."""
    tokens: list[str] = []
    for match in _WORD.finditer(normalize(text)):
        tokens.extend(token for token, _start, _end in _run_tokens(match.group()))
    return tokens


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """Tokens with their (start, end) offsets in ``text`` itself, for highlighting.

    Each run of letters and digits is normalised on its own, so offsets stay those of the
    original text; where normalisation changes a run's length (rare compatibility
    characters) the whole run is one span.
    """
    spans: list[tuple[str, int, int]] = []
    for match in _WORD.finditer(text):
        run, base = match.group(), match.start()
        normal = normalize(run)
        if len(normal) == len(run):
            spans.extend(
                (token, base + start, base + end) for token, start, end in _run_tokens(normal)
            )
            continue
        for part in _WORD.findall(normal):
            spans.extend((token, base, match.end()) for token, _start, _end in _run_tokens(part))
    return spans
