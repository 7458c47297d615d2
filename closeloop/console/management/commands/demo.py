"""``closeloop demo``: migrate, load the demo organisation once, print the logins, serve it."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from closeloop.console.demo_channels import (
    DEMO_APP_KEY,
    DEMO_APP_SECRET,
    DEMO_PHONE_KEY,
    DEMO_PHONE_SECRET,
    DEMO_WECHAT_APP_ID,
    DEMO_WECHAT_TOKEN,
)
from closeloop.console.demo_data import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    AGENT_PASSWORD,
    DemoRefused,
    load_demo,
)
from closeloop.tickets.models import Ticket


class Command(BaseCommand):
    help = (
        "Load the demo organisation (teams, agents, 90 days of history) into the data "
        "directory and serve it; run again to serve the same data."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-serve", action="store_true", help="load, then exit")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--seed", type=int, default=7, help="random seed of the history")
        parser.add_argument("--days", type=int, default=90, help="days of history")

    def handle(
        self, *args: Any, no_serve: bool, host: str, port: int, seed: int, days: int, **options: Any
    ) -> None:
        from django.conf import settings

        if days < 1:
            raise CommandError("--days must be at least 1")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        call_command("migrate", verbosity=0)
        if Ticket.objects.exists():
            self.stdout.write("The demo organisation is already loaded; serving it as it is.")
        else:
            self.stdout.write(f"Loading the demo organisation ({days} days of history) …")
            try:
                summary = load_demo(seed=seed, days=days, stdout=self.stdout)
            except DemoRefused as error:
                raise CommandError(f"{error.message} Use a new --data-dir for the demo.") from None
            for line in summary.lines():
                self.stdout.write(line)
            call_command("worker", "--once")
        self._print_logins(host, port)
        if no_serve:
            return
        # Scheduled work runs in its own process, never as a thread of the web server.
        worker = subprocess.Popen([sys.executable, "-m", "closeloop", "worker"])  # noqa: S603
        try:
            call_command("serve", host=host, port=port)
        finally:
            worker.terminate()
            worker.wait(timeout=10)

    def _print_logins(self, host: str, port: int) -> None:
        base = f"http://{host}:{port}"
        agents = list(
            User.objects.filter(agent__isnull=False, is_superuser=False)
            .order_by("username")
            .values_list("username", flat=True)
        )
        self.stdout.write("")
        self.stdout.write(f"  Self-service portal {base}/  (help centre, requests, my tickets)")
        self.stdout.write(
            f"  Order lookup        {base}/orders/  (DEMO-100001 … with demo@example.com)"
        )
        self.stdout.write(
            "  Portal sign-in      without an SMTP server the one-time link is printed here, in "
            "the log"
        )
        self.stdout.write(
            f"  Analytics (leads)   {base}/agent/analytics/  (dashboards, alerts, problems, "
            "monthly review, diagnosis; li.na leads a team)"
        )
        self.stdout.write(f"  Quality, people     {base}/agent/quality/  {base}/agent/people/")
        self.stdout.write(f"  Administration      {base}/admin/")
        self.stdout.write(f"  API documentation   {base}/api/v1/docs")
        self.stdout.write(f"  Administrator       {ADMIN_USERNAME} / {ADMIN_PASSWORD}")
        self.stdout.write(f"  Agents              {', '.join(agents)} / {AGENT_PASSWORD}")
        self.stdout.write("  API token           closeloop token create --user admin")
        self.stdout.write(f"  Web chat (try it)   {base}/chat/demo/")
        self.stdout.write(
            f"  App integration     key {DEMO_APP_KEY}, secret {DEMO_APP_SECRET} "
            f"(POST {base}/api/v1/channels/app/messages)"
        )
        self.stdout.write(
            f"  Phone integration   key {DEMO_PHONE_KEY}, secret {DEMO_PHONE_SECRET} "
            f"(POST {base}/api/v1/channels/phone/calls)"
        )
        self.stdout.write(
            f"  WeChat server URL   {base}/api/v1/channels/wechat/{DEMO_WECHAT_APP_ID} "
            f"(token {DEMO_WECHAT_TOKEN})"
        )
        self.stdout.write("  Email               closeloop email ingest FILE.eml")
        self.stdout.write("")
