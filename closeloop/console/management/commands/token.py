"""``closeloop token``: create, list and revoke API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from closeloop.core.models import ApiToken
from closeloop.core.tokens import api_token_create, api_token_revoke


class Command(BaseCommand):
    help = "Manage API tokens: token create --user NAME | token list | token revoke PREFIX"

    def add_arguments(self, parser: Any) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a token and print it (shown once)")
        create.add_argument("--user", required=True, help="username the token acts as")
        create.add_argument("--name", default="", help="what the token is for")
        listing = actions.add_parser("list", help="list tokens")
        listing.add_argument("--user", default=None)
        revoke = actions.add_parser("revoke", help="revoke a token by its prefix")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"There is no user {options['user']!r}.")
            if not user.is_active:
                raise CommandError(f"User {options['user']!r} is inactive.")
            _token, clear = api_token_create(user=user, name=options["name"])
            self.stdout.write(clear)
        elif action == "list":
            tokens = ApiToken.objects.select_related("user").order_by("created_at")
            if options["user"]:
                tokens = tokens.filter(user__username=options["user"])
            for token in tokens:
                state = "revoked" if token.revoked_at else "active"
                used = token.last_used_at.isoformat() if token.last_used_at else "never"
                self.stdout.write(
                    f"{token.prefix}…  {token.user.username:<16} {state:<8} used {used}  "
                    f"{token.name}"
                )
        else:
            matches = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at=None))
            if len(matches) != 1:
                raise CommandError(
                    f"{len(matches)} active tokens start with {options['prefix']!r}; need one."
                )
            api_token_revoke(token=matches[0])
            self.stdout.write(f"Revoked {matches[0].prefix}….")
