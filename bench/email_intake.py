"""Inbound email end to end (parse + store + thread via inbound_store + inbound_process): msg/s.

A realistic mix, generated before timing: new threads in English, replies carrying
In-Reply-To/References to an earlier message of the same customer, Chinese mail in GBK with
RFC 2047 subjects, and HTML mail with a PDF attachment and an inline image. Each message is
stored raw and processed in its own transactions, as the worker does it, on a fresh migrated
SQLite database (and PostgreSQL when ``--database-url`` names a server).
"""

from __future__ import annotations

import base64
import random
import time
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from bench._support import database_label, fresh_setup, latency_summary, postgres_version, run_child

TARGET_MESSAGES_PER_SECOND = 200.0
SEED = 20260105
WARM_UP_MESSAGES = 20
MIX = (("new", 0.40), ("reply", 0.25), ("chinese", 0.20), ("attachment", 0.15))
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

OPTIONS_HELP = {
    "messages": "how many messages to receive (after a short warm-up)",
    "database_url": "also measure on this PostgreSQL server (postgresql://…)",
}


def run(*, messages: int = 2000, database_url: str = "") -> dict[str, Any]:
    """Measure messages/s on SQLite, and on PostgreSQL when ``database_url`` is given."""
    results: dict[str, Any] = {}
    for url in ("", database_url) if database_url else ("",):
        label = database_label(url)
        with fresh_setup("email", url) as (data_dir, bench_url):
            figures = run_child(
                "bench.email_intake:measure",
                data_dir=data_dir,
                database_url=bench_url,
                options={"messages": messages},
            )
        if url:
            figures["server_version"] = postgres_version(url)
        figures["target_messages_per_second"] = TARGET_MESSAGES_PER_SECOND
        figures["meets_target"] = figures["messages_per_second"] >= TARGET_MESSAGES_PER_SECOND
        results[label] = figures
    return results


def _headers(message: Any, *, sender: str, subject: str, message_id: str) -> None:
    message["From"] = sender
    message["To"] = "support@shop.example"
    message["Subject"] = subject
    message["Date"] = "Mon, 05 Jan 2026 10:00:00 +0800"
    message["Message-ID"] = f"<{message_id}>"


def _word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


class MailMix:
    """Generates the mixed stream of raw messages, deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.count = 0
        self.threads: list[tuple[str, str, str]] = []  # (sender, subject, message id)
        self.pdf = bytes(self.random.getrandbits(8) for _ in range(20_000))

    def next(self) -> tuple[str, bytes]:
        self.count += 1
        kind = self.random.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
        if kind == "reply" and not self.threads:
            kind = "new"
        message_id = f"bench-{self.count}@customer.example"
        customer = self.random.randrange(max(50, self.count // 2))
        sender = f"Customer {customer} <customer{customer}@example.com>"
        if kind == "reply":
            sender, subject, parent = self.random.choice(self.threads[-500:])
            message = MIMEText(
                "Thanks, but the problem is still there.\n\n"
                f"On Mon, 5 Jan 2026, Support wrote:\n> Please try again.\n> {parent}\n",
                "plain",
                "utf-8",
            )
            _headers(message, sender=sender, subject=f"Re: {subject}", message_id=message_id)
            message["In-Reply-To"] = f"<{parent}>"
            message["References"] = f"<{parent}>"
        elif kind == "chinese":
            subject = f"订单 {self.count} 没有收到"
            message = MIMEText(
                "您好，我上周下的订单到现在还没有收到，物流信息也没有更新，请帮忙查一下。\n谢谢！",
                "plain",
                "gbk",
            )
            name = _word(f"张{customer}", "gbk")
            _headers(
                message,
                sender=f"{name} <zhang{customer}@example.cn>",
                subject=_word(subject, "gb2312"),
                message_id=message_id,
            )
            self.threads.append((f"zhang{customer}@example.cn", subject, message_id))
        elif kind == "attachment":
            subject = f"Broken screen on delivery {self.count}"
            alternative = MIMEMultipart("alternative")
            alternative.attach(MIMEText("The screen arrived cracked, photo attached.", "plain"))
            alternative.attach(
                MIMEText('<p>The screen arrived <b>cracked</b>.</p><img src="cid:p1@x">', "html")
            )
            related = MIMEMultipart("related")
            related.attach(alternative)
            image = MIMEImage(PNG, "png")
            image["Content-ID"] = "<p1@x>"
            related.attach(image)
            message = MIMEMultipart("mixed")
            message.attach(related)
            pdf = MIMEApplication(self.pdf, "pdf")
            pdf.add_header("Content-Disposition", "attachment", filename="invoice.pdf")
            message.attach(pdf)
            _headers(message, sender=sender, subject=subject, message_id=message_id)
            self.threads.append((sender, subject, message_id))
        else:
            subject = f"Question about order {self.count}"
            message = MIMEText(
                "Hello, I ordered a kettle last week and it has not arrived. Can you check?\n"
                "-- \nRegards",
                "plain",
                "utf-8",
            )
            _headers(message, sender=sender, subject=subject, message_id=message_id)
            self.threads.append((sender, subject, message_id))
        return kind, message.as_bytes()


def measure(*, messages: int) -> dict[str, Any]:
    """In the child process: receive ``messages`` mails; return rate, latency, the mix."""
    from closeloop.channels.email.intake import email_store
    from closeloop.channels.models import InboundMessage, InboundStatus
    from closeloop.channels.pipeline import inbound_process
    from closeloop.tickets.models import Ticket

    mix = MailMix(SEED)
    stream = [mix.next() for _ in range(WARM_UP_MESSAGES + messages)]

    def receive(raw: bytes) -> str:
        inbound, _created = email_store(raw, source="bench", enqueue=False)
        return str(inbound_process(inbound.pk).status)

    for _kind, raw in stream[:WARM_UP_MESSAGES]:
        receive(raw)
    tickets_before = Ticket.objects.count()
    durations: list[float] = []
    kinds: dict[str, int] = {}
    statuses: dict[str, int] = {}
    began = time.perf_counter()
    for kind, raw in stream[WARM_UP_MESSAGES:]:
        start = time.perf_counter()
        status = receive(raw)
        durations.append(time.perf_counter() - start)
        kinds[kind] = kinds.get(kind, 0) + 1
        statuses[status] = statuses.get(status, 0) + 1
    elapsed = time.perf_counter() - began
    processed = InboundMessage.objects.filter(status=InboundStatus.PROCESSED).count()
    return {
        "messages": len(durations),
        "seconds": elapsed,
        "messages_per_second": len(durations) / elapsed,
        **latency_summary(durations),
        "mix": kinds,
        "statuses": statuses,
        "tickets_opened": Ticket.objects.count() - tickets_before,
        "processed_total": processed,
        "average_raw_bytes": sum(len(raw) for _, raw in stream) / len(stream),
    }
