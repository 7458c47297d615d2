"""``closeloop bot``: the FAQ bot on the command line (``bot train``, ``bot ask "…"``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from closeloop.core.errors import CloseloopError
from closeloop.knowledge.bot.operations import bot_try
from closeloop.knowledge.bot.store import matcher_train


class Command(BaseCommand):
    help = 'The FAQ bot: bot train [--force] | bot ask "question" [--language zh-hans]'

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        train = actions.add_parser(
            "train", help="learn the published public articles (only when they changed)"
        )
        train.add_argument("--force", action="store_true", help="train even if nothing changed")
        ask = actions.add_parser("ask", help="what the bot would answer (records nothing)")
        ask.add_argument("question")
        ask.add_argument("--language", default="en", help="en or zh-hans (default en)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "train":
            result = matcher_train(force=options["force"])
            if result.status == "too_few_articles":
                self.stdout.write(
                    f"Not trained: {result.articles} published public article(s); the bot needs "
                    "at least 2 and stays silent until then."
                )
                return
            model = result.model
            if model is None:
                raise CommandError("Training stored no matcher.")
            self.stdout.write(
                f"{result.status}: {model.article_count} articles, {model.example_count} "
                f"examples, trained {model.trained_at:%Y-%m-%d %H:%M} in {model.seconds:.2f} s"
            )
            return
        try:
            reply = bot_try(text=options["question"], language=options["language"])
        except CloseloopError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"[{reply.kind}]")
        for article in reply.articles:
            self.stdout.write(
                f"  {article.get('confidence', 0):.3f}  {article['title']}  ({article['slug']})"
            )
        self.stdout.write(reply.text)
