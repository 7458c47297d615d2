"""Kill the worker while it processes inbound mail, start it again: every message ends up on
its ticket exactly once. Real processes on a real data directory (SQLite), SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

MESSAGES = 240
STORE_SCRIPT = """
import sys
from pathlib import Path
from django.db import transaction
from closeloop.channels.pipeline import inbound_store
for path in sorted(Path(sys.argv[1]).glob("*.eml")):
    with transaction.atomic():
        inbound_store(channel="email", external_id=path.stem, raw=path.read_bytes())
"""


def _env(data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "CLOSELOOP_DATA_DIR": str(data_dir), "CLOSELOOP_MODE": "development"}
    for name in ("CLOSELOOP_DATABASE_URL", "DJANGO_SETTINGS_MODULE", "CLOSELOOP_TEST_DATABASE"):
        env.pop(name, None)
    env["CLOSELOOP_INBOUND_RECOVER_SECONDS"] = "0"
    env["CLOSELOOP_WORKER_SWEEP_SECONDS"] = "1"
    return env


def _closeloop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "closeloop", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _mail(number: int) -> bytes:
    message = EmailMessage()
    sender = number % 60  # 60 customers, several messages each: threading under load
    message["From"] = f"Customer {sender} <customer{sender}@example.com>"
    message["To"] = "support@example.com"
    message["Subject"] = f"Order {sender} question" if number % 3 else f"问题 {number}"
    message["Message-ID"] = f"<crash-{number}@example.com>"
    message.set_content(f"Message number {number}. 我的订单还没有到。")
    return bytes(message)


def _count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute(sql).fetchone()[0])


def test_killed_worker_loses_and_doubles_nothing(tmp_path):
    data_dir = tmp_path / "data"
    mails = tmp_path / "mails"
    mails.mkdir()
    for number in range(MESSAGES):
        (mails / f"<crash-{number}@example.com>.eml").write_bytes(_mail(number))
    env = _env(data_dir)
    _closeloop("migrate", "-v", "0", env=env)
    _closeloop("shell", "-c", STORE_SCRIPT.replace("sys.argv[1]", repr(str(mails))), env=env)
    db = data_dir / "closeloop.sqlite3"
    assert _count(db, "SELECT COUNT(*) FROM channels_inboundmessage") == MESSAGES

    worker = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "closeloop", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    processed = 0
    while time.monotonic() < deadline:
        processed = _count(
            db, "SELECT COUNT(*) FROM channels_inboundmessage WHERE status = 'processed'"
        )
        if processed >= MESSAGES // 4:
            break
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    killed_at = _count(
        db, "SELECT COUNT(*) FROM channels_inboundmessage WHERE status = 'processed'"
    )
    assert MESSAGES // 4 <= killed_at < MESSAGES, "the kill must land mid-way"

    _closeloop("worker", "--once", env=env)  # the restart: queued tasks and the recovery sweep
    statuses = dict(
        sqlite3.connect(db)
        .execute("SELECT status, COUNT(*) FROM channels_inboundmessage GROUP BY status")
        .fetchall()
    )
    assert statuses == {"processed": MESSAGES}
    assert _count(db, "SELECT COUNT(*) FROM tickets_message WHERE channel = 'email'") == MESSAGES
    assert (
        _count(
            db,
            "SELECT COUNT(*) FROM (SELECT external_id FROM tickets_message "
            "GROUP BY external_id HAVING COUNT(*) > 1)",
        )
        == 0
    )
    # Each inbound row points at the message made from it.
    assert (
        _count(
            db,
            "SELECT COUNT(*) FROM channels_inboundmessage i JOIN tickets_message m "
            "ON m.id = i.message_id AND m.external_id = i.external_id",
        )
        == MESSAGES
    )
