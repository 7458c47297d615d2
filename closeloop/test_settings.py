"""Settings for the test suite: a throw-away data directory, and PostgreSQL on request.

``CLOSELOOP_TEST_DATABASE=postgres`` runs the database tests against
``CLOSELOOP_TEST_POSTGRES_URL`` (pytest-django creates and drops ``test_<name>`` there).
"""

import atexit
import os
import shutil
import tempfile

if "CLOSELOOP_DATA_DIR" not in os.environ:
    _data_dir = tempfile.mkdtemp(prefix="closeloop-test-")
    os.environ["CLOSELOOP_DATA_DIR"] = _data_dir
    atexit.register(shutil.rmtree, _data_dir, ignore_errors=True)
os.environ.setdefault("CLOSELOOP_MODE", "development")
if os.environ.get("CLOSELOOP_TEST_DATABASE") == "postgres":
    os.environ["CLOSELOOP_DATABASE_URL"] = os.environ["CLOSELOOP_TEST_POSTGRES_URL"]
else:
    os.environ.pop("CLOSELOOP_DATABASE_URL", None)

from closeloop.settings import *  # noqa: E402, F403

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # One test database per run, so CI and a developer (or two runs) on one server never
    # create and drop the same database under each other.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_closeloop_{os.getpid()}"  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["root"] = {"handlers": ["console"], "level": "WARNING"}  # noqa: F405
