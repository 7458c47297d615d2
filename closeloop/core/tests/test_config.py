"""Settings from the environment: production refuses an insecure secret; SQLite runs in WAL."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from closeloop.core.config import env_bool, validate_production_secret


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "changeme",
        "django-insecure-abcdefghijklmnopqrstuvwxyz0123456789",
        "a" * 60,
        "short-but-random-Xy7",
    ],
)
def test_production_refuses_insecure_secrets(secret):
    with pytest.raises(ImproperlyConfigured, match="CLOSELOOP_SECRET_KEY"):
        validate_production_secret(secret)


def test_production_accepts_a_random_secret():
    secret = "q8Zr1-Jx0b5mKv2nPw7sLd4fGh6TyUe9Ao3Ic_XkWm"
    assert validate_production_secret(secret) == secret


def test_env_bool_rejects_garbage(monkeypatch):
    monkeypatch.setenv("CLOSELOOP_X", "perhaps")
    with pytest.raises(ImproperlyConfigured):
        env_bool("CLOSELOOP_X", default=False)


def test_closeloop_refuses_to_start_in_production_with_insecure_secret(tmp_path):
    env = {
        **os.environ,
        "CLOSELOOP_MODE": "production",
        "CLOSELOOP_SECRET_KEY": "changeme",
        "CLOSELOOP_ALLOWED_HOSTS": "example.com",
        "CLOSELOOP_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "closeloop.settings",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "closeloop", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "CLOSELOOP_SECRET_KEY is missing or insecure" in result.stderr
    assert "Traceback" not in result.stderr


def test_sqlite_file_database_is_wal(tmp_path):
    env = {**os.environ, "CLOSELOOP_DATA_DIR": str(tmp_path), "CLOSELOOP_MODE": "demo"}
    env.pop("CLOSELOOP_DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "closeloop", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"


def test_phone_region_of_a_new_installation_comes_from_the_environment(tmp_path):
    env = {
        **os.environ,
        "CLOSELOOP_DATA_DIR": str(tmp_path),
        "CLOSELOOP_MODE": "demo",
        "CLOSELOOP_DEFAULT_PHONE_REGION": "us",
    }
    env.pop("CLOSELOOP_DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    code = (
        "from closeloop.customers.services import customer_identify; "
        "print(customer_identify(phone='(415) 555-2671').identities.get().value)"
    )
    for args in (["migrate", "-v", "0"], ["shell", "-c", code]):
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "closeloop", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "+14155552671"
