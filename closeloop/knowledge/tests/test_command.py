"""``closeloop knowledge reindex`` and ``knowledge search``."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from closeloop.knowledge.index import POSTGRES_POSTINGS, POSTGRES_TABLE, SQLITE_TABLE, index_size
from closeloop.knowledge.tests.factories import make_article

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("knowledge", *args, stdout=out)
    return out.getvalue()


def test_reindex_rebuilds_a_lost_index():
    article = make_article(title="Refund a payment")
    make_article(title="Draft", status="draft")
    tables = (
        [SQLITE_TABLE] if connection.vendor == "sqlite" else [POSTGRES_TABLE, POSTGRES_POSTINGS]
    )
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert "Nothing found." in _run("search", "refund")
    assert _run("reindex") == "Indexed 1 published articles.\n"
    assert index_size() == 1
    assert f"#{article.pk}  Refund a payment" in _run("search", "refund")


def test_search_refuses_an_empty_query():
    with pytest.raises(CommandError):
        _run("search", "  ")


def test_prune_drops_rows_of_articles_that_are_gone():
    from closeloop.knowledge.index import index_prune
    from closeloop.knowledge.models import Article

    kept = make_article(title="Refund a payment")
    gone = make_article(title="Refund policy")
    Article.objects.filter(pk=gone.pk).delete()  # behind the services' back, like a flush
    assert index_size() == 2
    assert index_prune() == 1
    assert index_size() == 1
    assert f"#{kept.pk}" in _run("search", "refund")
