"""Child process of a benchmark: migrate the fresh database, run one function, write its result.

Usage: ``python -m bench._child MODULE:FUNCTION OPTIONS.json RESULT.json``, with the
environment from ``bench._support.child_env`` (settings pointed at the benchmark's database).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Set Django up, migrate, call the target with the options, store what it returns."""
    target, options_path, result_path = argv
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    module_name, function_name = target.split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    options = json.loads(Path(options_path).read_text())
    result = function(**options)
    Path(result_path).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
