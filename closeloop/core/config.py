"""Helpers that read settings from the environment; no Django imports (settings use them)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Keys that must never protect a production deployment: Django's placeholder, ours, blanks.
KNOWN_INSECURE_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "closeloop", "django-insecure", "demo"}
)
MINIMUM_SECRET_LENGTH = 32


def env_bool(name: str, *, default: bool) -> bool:
    """Read a yes/no environment variable."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    """Read an integer environment variable."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_list(name: str, *, default: list[str]) -> list[str]:
    """Read a comma-separated environment variable."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def resolve_data_dir(raw: str | None) -> Path:
    """Return the data directory (created if missing); defaults to ~/.closeloop."""
    path = Path(raw).expanduser() if raw else Path.home() / ".closeloop"
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_or_create_secret_key(data_dir: Path) -> str:
    """Keep one random secret per data directory, so demo sessions survive restarts."""
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def validate_production_secret(key: str) -> str:
    """Refuse to run production with a missing, short or well-known secret key."""
    stripped = key.strip()
    if (
        stripped.lower() in KNOWN_INSECURE_SECRETS
        or stripped.startswith("django-insecure")
        or len(stripped) < MINIMUM_SECRET_LENGTH
        or len(set(stripped)) < 10
    ):
        raise ImproperlyConfigured(
            "CLOSELOOP_SECRET_KEY is missing or insecure: production mode needs a random secret "
            f"of at least {MINIMUM_SECRET_LENGTH} characters "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))").'
        )
    return stripped
