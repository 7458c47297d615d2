"""Web chat: N open visitor sockets on one uvicorn process; reply and ack latency, memory.

Starts the ASGI app under uvicorn in one child process (open-file limit raised) over a fresh
migrated data directory with one chat widget and one agent, then, from this process (asyncio
+ websockets), opens ``sockets`` visitor sockets (hello → welcome on each) and keeps them all
open while it measures, on a sample of visitors:

- message → ack: a visitor's ``message`` frame until its ``ack`` (raw frame stored, customer
  identified, ticket opened, SLA clocks started);
- agent reply → visitor: ``POST /api/v1/tickets/{id}/messages`` sent until the visitor's
  socket receives the reply frame (commit, Delivery, channel layer, socket).

At the end every socket is pinged; the figures say how many were still open and answered,
and the server's resident memory before and after the sockets were opened.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._support import (
    BenchError,
    child_env,
    database_label,
    fresh_setup,
    latency_summary,
    run_child,
)

HOST = "127.0.0.1"
TARGET_SOCKETS = 2000
TARGET_P95_MS = 200.0
CONNECT_CONCURRENCY = 100
# The first exchanges load the SLA policy cache and warm the connections: not measured.
WARM_UP = 10
SERVER_START_SECONDS = 60.0

OPTIONS_HELP = {
    "sockets": "visitor sockets held open at once",
    "samples": "visitors that send a message and get an agent reply (measured)",
    "concurrency": "measured exchanges in flight at once (1: the latency of one delivery)",
    "database_url": "use a fresh database on this PostgreSQL server instead of SQLite",
}


def run(
    *,
    sockets: int = TARGET_SOCKETS,
    samples: int = 200,
    concurrency: int = 1,
    database_url: str = "",
) -> dict[str, Any]:
    """Hold ``sockets`` chat sockets on one server process and measure delivery latency."""
    _raise_open_file_limit()
    label = database_label(database_url)
    with fresh_setup("chat", database_url) as (data_dir, bench_url):
        prepared = run_child(
            "bench.chat_sockets:prepare", data_dir=data_dir, database_url=bench_url
        )
        port = _free_port()
        server = _start_server(data_dir, bench_url, port)
        try:
            figures = asyncio.run(
                _measure(
                    port=port,
                    server_pid=server.pid,
                    widget=prepared["widget"],
                    token=prepared["token"],
                    sockets=sockets,
                    samples=min(samples, sockets),
                    concurrency=concurrency,
                )
            )
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()
    p95 = max(figures["message_to_ack"]["p95_ms"], figures["reply_to_visitor"]["p95_ms"])
    figures.update(
        database=label,
        target_sockets=TARGET_SOCKETS,
        target_p95_ms=TARGET_P95_MS,
        meets_target=figures["sockets_open_at_end"] >= min(sockets, TARGET_SOCKETS)
        and p95 <= TARGET_P95_MS,
    )
    return figures


def prepare() -> dict[str, Any]:
    """In the child process: a chat widget (any origin), an agent and their API token."""
    from django.contrib.auth.models import User

    from closeloop.channels.models import ChatWidget
    from closeloop.core.tokens import api_token_create
    from closeloop.people.models import Agent, Availability

    widget = ChatWidget.objects.create(name="Bench")
    user = User.objects.create_user(username="bench-agent")
    Agent.objects.create(user=user, display_name="Bench Agent", availability=Availability.ONLINE)
    _token, clear = api_token_create(user=user, name="bench")
    return {"widget": widget.key, "token": clear}


def _raise_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


SERVER_SCRIPT = """
import resource, sys, uvicorn
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
wanted = hard if hard != resource.RLIM_INFINITY else 65536
resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
uvicorn.run("closeloop.asgi:application", host=sys.argv[1], port=int(sys.argv[2]),
            lifespan="off", log_level="warning", backlog=4096)
"""


def _start_server(data_dir: Path, database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = child_env(data_dir, database_url)
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", SERVER_SCRIPT, HOST, str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited: {(data_dir / 'server.log').read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise BenchError("the server did not start")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Visitor:
    """One open visitor socket and the frames it waits for."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.ticket_id = 0
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.connection:
            frame = json.loads(raw)
            key = {
                "ack": f"ack:{frame.get('client_id')}",
                "message": f"message:{frame.get('body')}",
                "pong": "pong",
            }.get(frame.get("type", ""))
            if frame.get("type") == "ack":
                self.ticket_id = frame["ticket"]["id"]
            future = self.waiting.pop(key, None) if key else None
            if future is not None and not future.done():
                future.set_result(time.perf_counter())

    def expect(self, key: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        return future


async def _open(url: str, widget: str, semaphore: asyncio.Semaphore) -> _Visitor | None:
    from websockets.asyncio.client import connect

    async with semaphore:
        try:
            connection = await connect(url, open_timeout=60, ping_interval=None)
            await connection.send(json.dumps({"type": "hello", "widget": widget}))
            welcome = json.loads(await asyncio.wait_for(connection.recv(), 60))
        except (OSError, TimeoutError, ValueError) as error:
            print(f"socket failed: {error!r}", file=sys.stderr)
            return None
        if welcome.get("type") != "welcome":
            return None
        return _Visitor(connection)


async def _measure(
    *,
    port: int,
    server_pid: int,
    widget: str,
    token: str,
    sockets: int,
    samples: int,
    concurrency: int,
) -> dict[str, Any]:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    url = f"ws://{HOST}:{port}/ws/chat/?widget={widget}"
    load_at_start = os.getloadavg()[0]
    rss_before = _rss_mb(server_pid)
    started = time.perf_counter()
    opening = asyncio.Semaphore(CONNECT_CONCURRENCY)
    opened = await asyncio.gather(*(_open(url, widget, opening) for _ in range(sockets)))
    visitors = [visitor for visitor in opened if visitor is not None]
    open_seconds = time.perf_counter() - started
    rss_open = _rss_mb(server_pid)
    if not visitors:
        raise BenchError("no socket opened")

    acks: list[float] = []
    replies: list[float] = []
    limit = asyncio.Semaphore(concurrency)
    sample = visitors[:: max(1, len(visitors) // (samples + WARM_UP))][: samples + WARM_UP]

    async def visitor_message(index: int, visitor: _Visitor) -> None:
        async with limit:
            arrived = visitor.expect(f"ack:m{index}")
            sent = time.perf_counter()
            await visitor.connection.send(
                json.dumps({"type": "message", "client_id": f"m{index}", "body": f"help {index}"})
            )
            took = await asyncio.wait_for(arrived, 60) - sent
            if index >= WARM_UP:
                acks.append(took)

    await asyncio.gather(*(visitor_message(i, v) for i, v in enumerate(sample)))

    async with httpx.AsyncClient(
        base_url=f"http://{HOST}:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as api:

        async def agent_reply(index: int, visitor: _Visitor) -> None:
            async with limit:
                body = f"reply {index}"
                arrived = visitor.expect(f"message:{body}")
                sent = time.perf_counter()
                response = await api.post(
                    f"/api/v1/tickets/{visitor.ticket_id}/messages", json={"body": body}
                )
                if response.status_code != 201:
                    raise BenchError(f"reply refused: {response.status_code} {response.text}")
                took = await asyncio.wait_for(arrived, 60) - sent
                if index >= WARM_UP:
                    replies.append(took)

        await asyncio.gather(*(agent_reply(i, v) for i, v in enumerate(sample)))

    async def ping(visitor: _Visitor) -> bool:
        pong = visitor.expect("pong")
        try:
            await visitor.connection.send('{"type": "ping"}')
            await asyncio.wait_for(pong, 60)
        except Exception:
            return False
        return True

    alive = sum(await asyncio.gather(*(ping(visitor) for visitor in visitors)))
    rss_end = _rss_mb(server_pid)
    for visitor in visitors:
        visitor.reader.cancel()
    await asyncio.gather(*(visitor.connection.close() for visitor in visitors))
    return {
        "sockets_asked": sockets,
        "sockets_opened": len(visitors),
        "sockets_open_at_end": alive,
        "open_seconds": round(open_seconds, 2),
        "samples": len(acks),
        "concurrency": concurrency,
        "message_to_ack": latency_summary(acks),
        "reply_to_visitor": latency_summary(replies),
        "server_rss_mb": {
            "before_sockets": round(rss_before, 1),
            "sockets_open": round(rss_open, 1),
            "end": round(rss_end, 1),
            "per_socket_kb": round((rss_open - rss_before) * 1024 / len(visitors), 1),
        },
        "cpus": len(os.sched_getaffinity(0)),
        # Other work on the machine while the benchmark ran skews every figure.
        "load_average_1m_at_start": round(load_at_start, 2),
    }
