"""Articles are made through the services, so every test article has its version and its
place in the search index."""

from __future__ import annotations

import itertools
from typing import Any

from closeloop.knowledge.models import Article, ArticleStatus
from closeloop.knowledge.services import article_create

_numbers = itertools.count(1)


def make_article(**fields: Any) -> Article:
    """A published public English article through ``article_create``, unless told otherwise."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "actor": None,
        "title": f"Help article {number}",
        "body": "How to get help with an order.",
        "language": "en",
        "status": ArticleStatus.PUBLISHED,
    }
    values.update(fields)
    return article_create(**values)
