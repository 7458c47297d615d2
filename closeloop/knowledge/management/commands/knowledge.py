"""``closeloop knowledge``: the article search index on the command line.

``knowledge reindex`` rebuilds the index from the published articles (after a restore from
backup, or when articles were changed outside the services); ``knowledge search TEXT`` shows
what a search finds, as an agent would see it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from closeloop.core.errors import CloseloopError
from closeloop.knowledge.index import index_rebuild
from closeloop.knowledge.search import AUDIENCES, article_search


class Command(BaseCommand):
    help = "The article search index: knowledge reindex | knowledge search TEXT"

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("reindex", help="Rebuild the search index from published articles")
        search = commands.add_parser("search", help="Search as an agent (or --audience) would")
        search.add_argument("text")
        search.add_argument("--audience", default="agent", choices=sorted(AUDIENCES))
        search.add_argument("--language", default=None)
        search.add_argument("--limit", type=int, default=10)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "reindex":
            with transaction.atomic():
                count = index_rebuild()
            self.stdout.write(f"Indexed {count} published articles.")
            return
        try:
            results = article_search(
                options["text"],
                audience=options["audience"],
                language=options["language"],
                limit=options["limit"],
                record_miss=False,
            )
        except CloseloopError as error:
            raise CommandError(str(error.message)) from None
        if results.expanded_terms:
            self.stdout.write(f"Also searched: {', '.join(results.expanded_terms)}")
        for hit in results.hits:
            self.stdout.write(f"{hit.score:9.4f}  #{hit.article_id}  {hit.title}")
        if not results.hits:
            self.stdout.write("Nothing found.")
