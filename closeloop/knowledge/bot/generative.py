"""Optional generative phrasing (off by default): an OpenAI-compatible chat-completions
endpoint rewords the answer, grounded only in the retrieved articles and quoting them.

Any failure (no URL, a timeout, an HTTP error, a reply that is not the protocol) or an answer
that quotes nothing from the articles gives None, and the bot sends the plain article answer.
Plain ``urllib``: the runtime needs no HTTP client package.
"""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from collections.abc import Sequence

from django.conf import settings

from closeloop.knowledge.models import Article, BotSettings

logger = logging.getLogger(__name__)

API_KEY_VARIABLE = "CLOSELOOP_BOT_LLM_API_KEY"
DEFAULT_TIMEOUT_SECONDS = 5.0
MAX_ARTICLE_CHARACTERS = 4000
MAX_ANSWER_CHARACTERS = 1500
# A quote is a run of this many characters (CJK) or words (other scripts) taken from an article.
MIN_QUOTE_CJK = 6
MIN_QUOTE_WORDS = 5

SYSTEM_PROMPT = (
    "You are a customer service assistant. Answer the customer's question using ONLY the "
    "help articles given below. Quote the relevant sentences of the articles word for word "
    "in quotation marks and name the article title you quote. If the articles do not answer "
    "the question, say so and do not guess. Answer in {language}, in at most 5 sentences."
)


def timeout_seconds() -> float:
    """How long the bot waits for the model (``CLOSELOOP["BOT_LLM_TIMEOUT_SECONDS"]``, 5 s)."""
    value = getattr(settings, "CLOSELOOP", {}).get("BOT_LLM_TIMEOUT_SECONDS")
    return float(value) if value else DEFAULT_TIMEOUT_SECONDS


def _article_block(article: Article) -> str:
    text = f"{article.summary}\n\n{article.body}".strip()
    return f"## {article.title}\n{text[:MAX_ARTICLE_CHARACTERS]}"


def request_body(
    *, model: str, question: str, articles: Sequence[Article], language: str
) -> dict[str, object]:
    """The chat-completions request: the rules, the articles, the question."""
    name = "Simplified Chinese" if language.startswith("zh") else "English"
    context = "\n\n".join(_article_block(article) for article in articles)
    return {
        "model": model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT.format(language=name)},
            {"role": "user", "content": f"Help articles:\n\n{context}\n\nQuestion: {question}"},
        ],
    }


def _runs(text: str) -> set[str]:
    """Every quotable run of the text: CJK character runs and word runs, normalised."""
    folded = " ".join(text.casefold().split())
    runs: set[str] = set()
    for block in re.findall(r"[\u4e00-\u9fff]+", folded):
        runs.update(block[i : i + MIN_QUOTE_CJK] for i in range(len(block) - MIN_QUOTE_CJK + 1))
    words = re.findall(r"[^\W_]+", re.sub(r"[\u4e00-\u9fff]", " ", folded))
    runs.update(
        " ".join(words[i : i + MIN_QUOTE_WORDS]) for i in range(len(words) - MIN_QUOTE_WORDS + 1)
    )
    return runs


def quotes_articles(answer: str, articles: Sequence[Article]) -> bool:
    """Whether the answer repeats at least one run of an article's own words."""
    source = set().union(*(_runs(f"{a.title}\n{a.summary}\n{a.body}") for a in articles))
    return bool(_runs(answer) & source)


def generative_answer(
    *, question: str, articles: Sequence[Article], language: str, bot: BotSettings
) -> str | None:
    """The model's answer grounded in ``articles``, or None (off, failed, or quoting nothing)."""
    if not bot.generative_enabled or not bot.generative_url or not articles:
        return None
    url = bot.generative_url.rstrip("/") + "/chat/completions"
    if not url.startswith(("http://", "https://")):
        return None
    body = request_body(
        model=bot.generative_model or "default",
        question=question,
        articles=articles,
        language=language,
    )
    headers = {"Content-Type": "application/json"}
    key = os.environ.get(API_KEY_VARIABLE, "")
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL the operator configured
        url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds()) as response:  # noqa: S310
            reply = json.loads(response.read(1_000_000).decode("utf-8"))
        content = reply["choices"][0]["message"]["content"]
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, KeyError, IndexError,
            TypeError) as error:  # fmt: skip
        logger.warning("Generative answer failed, using the article: %r", error)
        return None
    if not isinstance(content, str) or not content.strip():
        return None
    answer = content.strip()[:MAX_ANSWER_CHARACTERS]
    if not quotes_articles(answer, articles):
        logger.info("Generative answer quoted no article; using the article")
        return None
    return answer
