"""A real uvicorn server on loopback over the test database, and a WebSocket client for it.

Imported by the chat socket tests (no tests here). The server runs the project's ASGI app in
a thread; its handlers run in other threads, each with its own database connection, so the
test database must be one they can all open:

- SQLite: the in-memory test database is copied into a file for the test (WAL, so the
  server's threads and the test wait on each other's locks instead of failing);
- PostgreSQL: the test database itself, written for real (``transaction=True``), flushed
  after the test and refilled with its initial rows (``serialized_rollback``).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

# The tests that use ``server`` carry this mark: a real transaction per write (the server's
# threads must see them), the initial rows restored before each test (PostgreSQL flushes).
LIVE_DB = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def live_db(django_db_blocker: Any, tmp_path: Path) -> Iterator[None]:
    """The test database, open to every thread of the process for one test."""
    from django.db import connection

    settings = connection.settings_dict
    max_age = settings["CONN_MAX_AGE"]
    # Server threads keep no connection between two pieces of work, so none outlives the test.
    settings["CONN_MAX_AGE"] = 0
    with django_db_blocker.unblock():
        try:
            if connection.vendor == "sqlite":
                yield from _sqlite_file_copy(connection, tmp_path / "live.sqlite3")
            else:
                yield
        finally:
            settings["CONN_MAX_AGE"] = max_age


def _sqlite_file_copy(connection: Any, path: Path) -> Iterator[None]:
    """Run the test on a file copy of the in-memory test database (left untouched)."""
    connection.ensure_connection()
    memory = connection.connection
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    name = connection.settings_dict["NAME"]
    connection.connection = None
    connection.settings_dict["NAME"] = str(path)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory


@pytest.fixture
def server(live_db: None) -> Iterator[str]:
    """``host:port`` of uvicorn serving ``closeloop.asgi.application`` for this test."""
    import uvicorn
    from channels.layers import channel_layers

    from closeloop.asgi import application
    from closeloop.channels.chat import live

    channel_layers.backends.clear()  # a fresh in-memory layer on the new event loop
    config = uvicorn.Config(
        application, host="127.0.0.1", port=0, lifespan="off", log_level="warning"
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = instance.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(15)
        channel_layers.backends.clear()
        live._sockets_opened = False


class ClientLoop:
    """An event loop in a thread, so sockets stay open while the test reads the database."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 15) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self) -> None:
        async def cancel_the_rest() -> None:
            current = asyncio.current_task()
            tasks = [task for task in asyncio.all_tasks() if task is not current]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def client_loop() -> Iterator[ClientLoop]:
    loop = ClientLoop()
    yield loop
    loop.stop()


class Socket:
    """A WebSocket client speaking JSON frames, driven from the test's (sync) thread."""

    def __init__(self, loop: ClientLoop, connection: Any) -> None:
        self.loop = loop
        self.connection = connection
        self.skipped: list[dict[str, Any]] = []

    @classmethod
    def open(cls, loop: ClientLoop, url: str, **options: Any) -> Socket:
        from websockets.asyncio.client import connect

        async def opened() -> Any:
            return await connect(url, open_timeout=10, **options)

        return cls(loop, loop.run(opened()))

    def send(self, frame: dict[str, Any] | str | bytes) -> None:
        data = frame if isinstance(frame, str | bytes) else json.dumps(frame)
        self.loop.run(self.connection.send(data))

    def recv(self, wanted: str | None = None, *, timeout: float = 10) -> dict[str, Any]:
        """The next frame (of type ``wanted``: others are kept in ``skipped``)."""

        async def next_frame() -> dict[str, Any]:
            while True:
                frame: dict[str, Any] = json.loads(await self.connection.recv())
                if wanted is None or frame.get("type") == wanted:
                    return frame
                self.skipped.append(frame)

        return self.loop.run(asyncio.wait_for(next_frame(), timeout), timeout + 5)

    def quiet(self, seconds: float = 0.4) -> list[dict[str, Any]]:
        """Every frame that arrives within ``seconds`` (to assert that nothing more came)."""

        async def collect() -> list[dict[str, Any]]:
            frames = []
            try:
                while True:
                    raw = await asyncio.wait_for(self.connection.recv(), seconds)
                    frames.append(json.loads(raw))
            except TimeoutError:
                return frames

        return self.loop.run(collect(), seconds + 15)

    def closed_code(self, timeout: float = 10) -> int | None:
        async def wait() -> int | None:
            await asyncio.wait_for(self.connection.wait_closed(), timeout)
            return self.connection.close_code  # type: ignore[no-any-return]

        return self.loop.run(wait(), timeout + 5)

    def close(self) -> None:
        self.loop.run(self.connection.close())
