"""The bot's question matcher: which article answers a customer's question, and how sure it is.

Pure (no database): ``FaqMatcher.train`` learns question → article from each article's title,
summary and example questions with the triage text classifier (TF-IDF + linear SVM with a
softmax temperature fitted on held-out examples, so confidences are calibrated), and
``match`` ranks the articles for one text. A text that shares no word with anything the
articles say gets confidence 0: a softmax over known articles would otherwise always name
one, however unrelated the question.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from closeloop.triage.classifier import (
    ClassifierError,
    TextClassifier,
    classifier_from_bytes,
    make_classifier,
)
from closeloop.triage.classifier.text import normalise, tokens

# ``MAGIC + JSON header + b"\n" + classifier bytes``: the header keeps what the matcher needs
# besides the classifier (the words it knows), readable without unpickling anything.
MAGIC = b"closeloop-faq-matcher/1 "
MIN_ARTICLES = 2
TOP = 5
# Words too common to show that a question is about anything the articles cover.
_STOP_WORDS_TEXT = """
a an and are be can could do does did for from have how i i'm in is it its me my of on or our
please the this to was what when where which who why will with would you your hi hello hey there
thanks thank get got want need
我 你 您 的 了 吗 呢 是 在 有 吧 啊 么 什 怎 请 问 好 个 一 不 这 那 和 也 就 都 要
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


class MatcherBytesError(ValueError):
    """The stored bytes are not a matcher this version can read."""


@dataclass(frozen=True)
class ArticleText:
    """What the matcher learns from one article."""

    id: int
    version: int
    title: str
    summary: str = ""
    questions: Sequence[str] = ()

    def examples(self) -> list[str]:
        """The article's texts to learn from: title, summary, each example question."""
        texts = [self.title, self.summary, *self.questions]
        return [text.strip() for text in texts if text and text.strip()]


@dataclass(frozen=True)
class Match:
    """The best articles for a text, best first, as (article id, confidence)."""

    ranked: list[tuple[int, float]] = field(default_factory=list)

    @property
    def confidence(self) -> float:
        """The best article's confidence (0 when there is none)."""
        return self.ranked[0][1] if self.ranked else 0.0

    @property
    def best(self) -> int | None:
        """The best article's id, if any."""
        return self.ranked[0][0] if self.ranked else None


def fingerprint(articles: Iterable[tuple[int, int]]) -> str:
    """A digest of the (id, version) pairs a matcher learned from: a change means retraining."""
    digest = hashlib.sha256()
    for article_id, version in sorted(articles):
        digest.update(f"{article_id}:{version};".encode())
    return digest.hexdigest()


def content_words(text: str) -> set[str]:
    """The words of a text that say what it is about (no stop words, no bare numbers)."""
    return {
        token
        for token in tokens(normalise(text))
        if token not in STOP_WORDS and not token.isdigit()
    }


class FaqMatcher:
    """A trained classifier over article ids plus the words the articles use."""

    def __init__(self, classifier: TextClassifier, vocabulary: frozenset[str]) -> None:
        self.classifier = classifier
        self.vocabulary = vocabulary

    @classmethod
    def train(cls, articles: Sequence[ArticleText]) -> FaqMatcher | None:
        """Learn the articles; None when they cannot train a classifier (fewer than two
        articles, or texts the classifier refuses): the bot then answers nothing."""
        texts: list[str] = []
        labels: list[str] = []
        vocabulary: set[str] = set()
        for article in articles:
            for text in article.examples():
                texts.append(text)
                labels.append(str(article.id))
                vocabulary |= content_words(text)
        if len(set(labels)) < MIN_ARTICLES:
            return None
        try:
            classifier = make_classifier("default").fit(texts, labels)
        except (ClassifierError, ValueError):
            return None
        return cls(classifier, frozenset(vocabulary))

    @property
    def article_ids(self) -> list[int]:
        """The articles this matcher can answer with."""
        return [int(label) for label in self.classifier.labels]

    def match(self, text: str, *, top: int = TOP) -> Match:
        """The best articles for ``text`` with calibrated confidences (all 0 for a text that
        shares no content word with the articles)."""
        if not text.strip():
            return Match()
        prediction = self.classifier.predict([text])[0]
        understood = bool(content_words(text) & self.vocabulary)
        ranked = [
            (int(label), round(confidence if understood else 0.0, 4))
            for label, confidence in prediction.top[:top]
        ]
        return Match(ranked=ranked)

    def to_bytes(self) -> bytes:
        """The matcher as bytes for ``FaqModel.model``."""
        header = json.dumps({"vocabulary": sorted(self.vocabulary)}, ensure_ascii=False)
        return MAGIC + header.encode("utf-8") + b"\n" + self.classifier.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> FaqMatcher:
        """Rebuild a matcher saved by ``to_bytes`` (only from storage Closeloop wrote)."""
        if not data.startswith(MAGIC) or b"\n" not in data:
            raise MatcherBytesError("These bytes are not a Closeloop FAQ matcher.")
        header, payload = data[len(MAGIC) :].split(b"\n", 1)
        try:
            vocabulary = json.loads(header.decode("utf-8"))["vocabulary"]
            classifier = classifier_from_bytes(payload)
        except (ValueError, KeyError, ClassifierError) as error:
            raise MatcherBytesError(f"The FAQ matcher bytes are damaged: {error}") from None
        return cls(classifier, frozenset(vocabulary))
