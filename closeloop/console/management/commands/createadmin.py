"""``closeloop createadmin``: an administrator login (also an agent, so it can work tickets)."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from closeloop.people.models import Agent


class Command(BaseCommand):
    help = (
        "Create an administrator (password from --password, CLOSELOOP_ADMIN_PASSWORD or a prompt)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="")
        parser.add_argument("--password", default=None)

    def handle(
        self, *args: Any, username: str, email: str, password: str | None, **options: Any
    ) -> None:
        password = password or os.environ.get("CLOSELOOP_ADMIN_PASSWORD")
        if not password:
            if not self.stdin_is_interactive():
                raise CommandError("Give --password or CLOSELOOP_ADMIN_PASSWORD.")
            password = getpass.getpass(f"Password for {username}: ")
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user called {username!r} already exists.")
        with transaction.atomic():
            user = User.objects.create_superuser(username=username, email=email, password=password)
            Agent.objects.create(user=user, display_name=username)
        self.stdout.write(f"Administrator {username} created.")

    @staticmethod
    def stdin_is_interactive() -> bool:
        import sys

        return sys.stdin.isatty()
