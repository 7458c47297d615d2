"""The ``closeloop`` console command end to end (subprocesses, a real data directory)."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def closeloop(*args: str, data_dir, check: bool = True) -> subprocess.CompletedProcess:  # noqa: ANN001
    env = {**os.environ, "CLOSELOOP_DATA_DIR": str(data_dir), "CLOSELOOP_MODE": "demo"}
    env.pop("CLOSELOOP_DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "closeloop", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_help_lists_the_commands(tmp_path):
    out = closeloop("--help", data_dir=tmp_path).stdout
    for command in ("demo", "serve", "worker", "token", "import", "sla", "bench"):
        assert f"  {command} " in out


def test_migrate_createadmin_token_and_sla_due(tmp_path):
    closeloop("migrate", "-v", "0", data_dir=tmp_path)
    closeloop("createadmin", "--username", "boss", "--password", "pw", data_dir=tmp_path)
    token = closeloop("token", "create", "--user", "boss", data_dir=tmp_path).stdout.strip()
    assert token.startswith("cl_")
    assert len(token) > 30
    listing = closeloop("token", "list", data_dir=tmp_path).stdout
    assert token[:10] in listing
    assert "boss" in listing
    due = closeloop(
        "sla",
        "due",
        "--calendar",
        "cn-workdays",
        "--start",
        "2026-02-13T17:30:00+08:00",
        "--minutes",
        "60",
        data_dir=tmp_path,
    )
    # Spring Festival 2026: Feb 15-23 off, Sat Feb 14 and Sat Feb 28 are make-up days.
    assert due.stdout.strip() == "2026-02-14T09:30:00+08:00"


def test_errors_are_messages_not_tracebacks(tmp_path):
    closeloop("migrate", "-v", "0", data_dir=tmp_path)
    result = closeloop("token", "create", "--user", "ghost", data_dir=tmp_path, check=False)
    assert result.returncode != 0
    assert "There is no user 'ghost'" in result.stderr
    assert "Traceback" not in result.stderr
