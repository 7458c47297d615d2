"""WeChat server address under load: 50 senders POSTing signed AES messages, answer latency.

Starts the real server (``closeloop serve``, uvicorn) on a free port of 127.0.0.1 over a fresh
migrated data directory with one WeChat official account in safe mode, then runs ``senders``
keep-alive client threads that each POST encrypted, ``msg_signature``-signed text messages
(distinct MsgIds) for a fixed time. Each answer must be ``success``; the latency is what
WeChat would wait for (its limit is 5 s; our target is p95 <= 50 ms at 50 senders).

Two load shapes: ``--rate R`` paces every sender at R messages/s (an open loop, like 50 users
writing at once; latency counts from the *scheduled* send time, so a server falling behind
shows as latency instead of hiding in fewer requests), and ``--rate 0`` sends back to back
(a closed loop: the throughput ceiling, where latency is just senders / throughput).

After the load the stored rows are counted: every distinct message must be stored exactly
once. Processing (the worker) is not part of the answer and is not running. Senders and server
share the machine's cores, so the senders' own encryption work is in the figures.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from bench._support import (
    BenchError,
    database_label,
    fresh_setup,
    latency_summary,
    postgres_version,
    run_child,
)
from bench.api import HOST, _free_port, _server, _tail

APP_ID = "wxbench0000000001"
TOKEN = "bench-token"  # noqa: S105 - a throw-away benchmark account
AES_KEY = base64.b64encode(bytes(range(32))).decode()[:-1]
TARGET_P95_MS = 50.0
KEPT_ERRORS = 5

OPTIONS_HELP = {
    "seconds": "measured load time",
    "senders": "concurrent keep-alive sender threads",
    "warm_up": "seconds of load before measuring starts",
    "workers": "uvicorn worker processes",
    "rate": "messages per second per sender (0: back to back, the throughput ceiling)",
    "database_url": "use a fresh database on this PostgreSQL server instead of SQLite",
}


@dataclass
class _Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
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
    senders: int = 50,
    warm_up: float = 2.0,
    workers: int = 1,
    rate: float = 1.0,
    database_url: str = "",
) -> dict[str, Any]:
    """Load the WeChat server address with ``senders`` threads for ``seconds``."""
    if rate < 0:
        raise BenchError("--rate must be 0 (back to back) or a positive rate")
    label = database_label(database_url)
    with fresh_setup("wechat", database_url) as (data_dir, bench_url):
        run_child("bench.wechat_webhook:prepare", data_dir=data_dir, database_url=bench_url)
        port = _free_port()
        with _server(data_dir, bench_url, port=port, workers=workers) as command:
            figures = _load(port=port, senders=senders, seconds=seconds, warm_up=warm_up, rate=rate)
        stored = run_child("bench.wechat_webhook:stored", data_dir=data_dir, database_url=bench_url)
        if figures["errors"]:
            figures["server_log_tail"] = _tail(data_dir / "server.log", 6000)
    figures["stored_messages"] = stored["messages"]
    figures["stored_tasks"] = stored["tasks"]
    if stored["messages"] != figures["messages_answered"]:
        raise BenchError(
            f"{figures['messages_answered']} messages answered but {stored['messages']} stored"
        )
    figures["server"] = command
    figures["senders"] = senders
    figures["rate_per_sender"] = rate or "back to back"
    figures["target_p95_ms"] = TARGET_P95_MS
    figures["meets_target"] = figures["p95_ms"] <= TARGET_P95_MS
    if database_url:
        figures["server_version"] = postgres_version(database_url)
    shape = f"rate_{rate:g}" if rate else "back_to_back"
    return {f"{label}_workers_{workers}_{shape}": figures}


def prepare() -> dict[str, Any]:
    """In the child process: the official account the senders write to (safe mode)."""
    from closeloop.channels.models import WeChatAccount

    WeChatAccount.objects.create(
        name="Bench",
        app_id=APP_ID,
        app_secret="unused",  # noqa: S106 - nothing is sent
        token=TOKEN,
        encoding_aes_key=AES_KEY,
    )
    return {}


def stored() -> dict[str, Any]:
    """In the child process: how many messages were stored, and processing tasks queued."""
    from django_tasks_db.models import DBTaskResult

    from closeloop.channels.models import InboundMessage

    return {
        "messages": InboundMessage.objects.filter(channel="wechat").count(),
        "tasks": DBTaskResult.objects.count(),
    }


def _push(msg_id: int) -> tuple[str, bytes]:
    """One signed safe-mode push of a text message, as WeChat sends it."""
    from closeloop.channels.wechat.crypto import encrypt, signature

    now = int(time.time())
    xml = (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
        f"<FromUserName><![CDATA[oBench{msg_id % 500}]]></FromUserName>"
        f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[订单 {msg_id} 什么时候发货？]]></Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    ).encode()
    encrypted = encrypt(encoding_aes_key=AES_KEY, app_id=APP_ID, xml=xml)
    nonce, stamp = secrets.token_hex(5), str(now)
    query = urlencode(
        {
            "signature": signature(TOKEN, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
            "openid": f"oBench{msg_id % 500}",
            "encrypt_type": "aes",
            "msg_signature": signature(TOKEN, stamp, nonce, encrypted),
        }
    )
    body = (
        f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    ).encode()
    return f"/api/v1/channels/wechat/{APP_ID}?{query}", body


def _sender(
    *,
    port: int,
    ids: itertools.count[int],
    id_lock: threading.Lock,
    tally: _Tally,
    measure_from: float,
    until: float,
    rate: float,
    phase: float,
) -> None:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies: list[float] = []
    sent = 0
    interval = 1 / rate if rate else 0.0
    scheduled = time.perf_counter() + phase * interval
    while True:
        if rate:
            pause = scheduled - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        if time.perf_counter() >= until:
            break
        with id_lock:
            msg_id = next(ids)
        path, body = _push(msg_id)
        # Paced: from when the message was due, so a backlog counts (no coordinated omission).
        start = scheduled if rate else time.perf_counter()
        scheduled += interval
        try:
            connection.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            tally.error(f"POST {msg_id}: {error!r}")
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            continue
        took = time.perf_counter() - start
        if response.status != 200 or content != b"success":
            tally.error(f"POST {msg_id}: {response.status} {content[:200]!r}")
            continue
        sent += 1
        if start >= measure_from:
            latencies.append(took)
    connection.close()
    with tally.lock:
        tally.latencies += latencies
        tally.sent += sent


def _load(
    *, port: int, senders: int, seconds: float, warm_up: float, rate: float
) -> dict[str, Any]:
    tally = _Tally()
    ids = itertools.count(6_000_000_000_000_000_000)
    id_lock = threading.Lock()
    measure_from = time.perf_counter() + warm_up
    until = measure_from + seconds
    threads = [
        threading.Thread(
            target=_sender,
            daemon=True,
            kwargs={
                "port": port,
                "ids": ids,
                "id_lock": id_lock,
                "tally": tally,
                "measure_from": measure_from,
                "until": until,
                "rate": rate,
                "phase": index / senders,  # spread the senders over one interval
            },
        )
        for index in range(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + warm_up + 60)
    figures: dict[str, Any] = {
        "messages_answered": tally.sent,
        "measured_requests": len(tally.latencies),
        "requests_per_second": len(tally.latencies) / seconds,
        **latency_summary(tally.latencies),
        "errors": tally.errors,
    }
    if tally.error_samples:
        figures["error_samples"] = "\n".join(tally.error_samples)
    return figures
