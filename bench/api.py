"""The HTTP API on loopback: POST /api/v1/tickets and GET ?status=open, 16 clients, req/s.

Starts the real server (``closeloop serve``, uvicorn) on a free port of 127.0.0.1 over a fresh
migrated data directory with one agent and a bearer token, then runs keep-alive client threads
(``http.client``) that alternate between opening a ticket and listing open tickets for a fixed
time. Reports requests/s, p50/p95/p99 latency per endpoint and the error count, for each
uvicorn worker count asked for. Clients and server share the machine's cores.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._support import (
    BenchError,
    child_env,
    database_label,
    fresh_setup,
    latency_summary,
    postgres_version,
    run_child,
)

HOST = "127.0.0.1"
SEED = 20251001
LIST_PATH = "/api/v1/tickets?status=open"
CREATE_PATH = "/api/v1/tickets"
SERVER_START_SECONDS = 60.0
SERVER_STOP_SECONDS = 15.0
KEPT_ERRORS = 5

OPTIONS_HELP = {
    "seconds": "measured load time per worker count",
    "clients": "concurrent keep-alive client threads",
    "workers": "uvicorn worker counts to try, comma-separated",
    "warm_up": "seconds of load before measuring starts",
    "seed_tickets": "tickets opened (through the services) before the load",
    "database_url": "use a fresh database on this PostgreSQL server instead of SQLite",
}


@dataclass
class _Tally:
    """What the client threads saw: latencies per endpoint and the errors."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"create": [], "list": []})
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def error(self, description: str) -> None:
        with self.lock:
            self.errors += 1
            if len(self.error_samples) < KEPT_ERRORS:
                self.error_samples.append(description[:300])


def run(
    *,
    seconds: float = 15.0,
    clients: int = 16,
    workers: str = "1,2",
    warm_up: float = 2.0,
    seed_tickets: int = 200,
    database_url: str = "",
) -> dict[str, Any]:
    """Load the API with ``clients`` threads for each uvicorn worker count in ``workers``."""
    counts = [int(part) for part in workers.split(",") if part.strip()]
    label = database_label(database_url)
    results: dict[str, Any] = {}
    for count in counts:
        with fresh_setup(f"api{count}", database_url) as (data_dir, bench_url):
            prepared = run_child(
                "bench.api:prepare",
                data_dir=data_dir,
                database_url=bench_url,
                options={"tickets": seed_tickets},
            )
            port = _free_port()
            with _server(data_dir, bench_url, port=port, workers=count) as command:
                figures = _load(
                    port=port,
                    token=prepared["token"],
                    clients=clients,
                    seconds=seconds,
                    warm_up=warm_up,
                )
            if figures["errors"]:
                # The data directory goes with the run: keep what the server logged.
                figures["server_log_tail"] = _tail(data_dir / "server.log", 6000)
        figures["server"] = command
        figures["clients"] = clients
        if database_url:
            figures["server_version"] = postgres_version(database_url)
        results[f"{label}_workers_{count}"] = figures
    return results


def prepare(*, tickets: int) -> dict[str, Any]:
    """In the child process: an agent in two teams, its API token, and some open tickets."""
    from django.contrib.auth.models import User

    from bench._workload import Intake
    from closeloop.core.tokens import api_token_create
    from closeloop.customers.services import customer_identify
    from closeloop.people.models import Agent, Availability, Team, TeamMembership
    from closeloop.tickets.services import Actor, ticket_create

    user = User.objects.create_user(username="bench-agent")
    agent = Agent.objects.create(
        user=user, display_name="Bench Agent", availability=Availability.ONLINE
    )
    after_sales = Team.objects.create(name="After-sales", code="after-sales")
    Team.objects.create(name="Security", code="security", is_restricted=True)
    TeamMembership.objects.create(team=after_sales, agent=agent)
    _token, clear = api_token_create(user=user, name="bench")

    intake = Intake(seed=SEED + 1)
    actor = Actor.of_agent(agent)
    for _ in range(tickets):
        contact = intake.next()
        customer = customer_identify(**contact.pop("customer"))
        ticket_create(customer=customer, actor=actor, **contact)
    return {"token": clear}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _closeloop_command() -> list[str]:
    script = Path(sys.executable).with_name("closeloop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "closeloop"]


def _server_command(env: dict[str, str], *, port: int, workers: int) -> list[str]:
    """``closeloop serve`` when it takes ``--workers``; otherwise uvicorn with the same app."""
    probe = subprocess.run(  # noqa: S603 - our own console script
        [*_closeloop_command(), "serve", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    address = ["--host", HOST, "--port", str(port), "--workers", str(workers)]
    if probe.returncode == 0 and "--workers" in probe.stdout:
        return [*_closeloop_command(), "serve", *address]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "closeloop.asgi:application",
        *address,
        "--log-level",
        "warning",
        "--lifespan",
        "off",
    ]


def _request(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    token: str,
    body: bytes | None = None,
) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read()


@contextmanager
def _server(data_dir: Path, database_url: str, *, port: int, workers: int) -> Iterator[str]:
    """Run the server until the block ends; yield the command line that started it."""
    env = child_env(data_dir, database_url)
    command = _server_command(env, port=port, workers=workers)
    log_path = data_dir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own server command
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    shown = " ".join(Path(command[0]).name if i == 0 else part for i, part in enumerate(command))
    try:
        _wait_until_ready(process, port, log_path)
        yield shown
    finally:
        _stop(process)


def _wait_until_ready(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited ({process.returncode}): {_tail(log_path)}")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=5)
            connection.request("GET", "/api/v1/openapi.json")
            if connection.getresponse().status == 200:
                connection.close()
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise BenchError(f"the server did not answer within {SERVER_START_SECONDS:.0f} s")


def _tail(path: Path, characters: int = 2000) -> str:
    return path.read_text(errors="replace")[-characters:] if path.exists() else ""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server we started: SIGTERM, then SIGKILL to its own process group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=SERVER_STOP_SECONDS)


def _client(
    index: int,
    *,
    port: int,
    token: str,
    tally: _Tally,
    measure_from: float,
    until: float,
    clients: int,
) -> None:
    """One keep-alive client: alternate POST and GET until ``until``; record measured ones."""
    from bench._workload import Intake

    intake = Intake(seed=SEED + 100 + index, stride=clients, offset=index)
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    create_next = index % 2 == 0
    created: list[float] = []
    listed: list[float] = []
    while True:
        start = time.perf_counter()
        if start >= until:
            break
        if create_next:
            endpoint, method, path, expected = "create", "POST", CREATE_PATH, 201
            body: bytes | None = json.dumps(intake.next()).encode()
        else:
            endpoint, method, path, expected, body = "list", "GET", LIST_PATH, 200, None
        create_next = not create_next
        try:
            status, content = _request(connection, method, path, token, body)
        except (OSError, http.client.HTTPException) as error:
            tally.error(f"{method} {path}: {error!r}")
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            continue
        took = time.perf_counter() - start
        if status != expected:
            tally.error(f"{method} {path}: {status} {content[:200]!r}")
            continue
        if start >= measure_from:
            (created if endpoint == "create" else listed).append(took)
    connection.close()
    with tally.lock:
        tally.latencies["create"] += created
        tally.latencies["list"] += listed


def _load(*, port: int, token: str, clients: int, seconds: float, warm_up: float) -> dict[str, Any]:
    tally = _Tally()
    measure_from = time.perf_counter() + warm_up
    until = measure_from + seconds
    threads = [
        threading.Thread(
            target=_client,
            args=(index,),
            daemon=True,
            kwargs={
                "port": port,
                "token": token,
                "tally": tally,
                "measure_from": measure_from,
                "until": until,
                "clients": clients,
            },
        )
        for index in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + warm_up + 60)
    figures: dict[str, Any] = {}
    total = 0
    for endpoint, latencies in tally.latencies.items():
        total += len(latencies)
        figures[endpoint] = {
            "requests": len(latencies),
            "requests_per_second": len(latencies) / seconds,
            **latency_summary(latencies),
        }
    figures["requests_per_second"] = total / seconds
    figures["errors"] = tally.errors
    if tally.error_samples:
        figures["error_samples"] = "\n".join(tally.error_samples)
    return figures
