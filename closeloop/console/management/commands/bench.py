"""``closeloop bench``: run one of the benchmarks in ``bench/`` and print its figures.

Each benchmark is a module with ``run(**options) -> dict`` (``bench.BENCHMARKS`` lists them);
its command-line options are read from ``run``'s keyword arguments. Benchmarks build their own
data directory and database, so this command never opens the installation's database.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import math
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import closeloop

# The benchmarks live beside the package in a source checkout, not in an installed wheel.
SOURCE_ROOT = Path(closeloop.__file__).resolve().parent.parent


def _bench_package() -> ModuleType:
    if not (SOURCE_ROOT / "bench" / "__init__.py").exists():
        raise CommandError(f"No bench/ directory beside the closeloop package in {SOURCE_ROOT}.")
    if str(SOURCE_ROOT) not in sys.path:
        sys.path.insert(0, str(SOURCE_ROOT))
    return importlib.import_module("bench")


def _benchmarks() -> dict[str, str]:
    registry: dict[str, str] = _bench_package().BENCHMARKS
    return registry


def _summary(module: ModuleType) -> str:
    return (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""


def _option_parameters(module: ModuleType) -> list[inspect.Parameter]:
    """The keyword arguments of the module's ``run``: its command-line options."""
    parameters = inspect.signature(module.run).parameters.values()
    return [p for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]


def _add_run_options(parser: CommandParser, module: ModuleType) -> None:
    helps: dict[str, str] = getattr(module, "OPTIONS_HELP", {})
    for parameter in _option_parameters(module):
        flag = "--" + parameter.name.replace("_", "-")
        default = parameter.default
        text = helps.get(parameter.name, "")
        if isinstance(default, bool):
            parser.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=default, help=text
            )
            continue
        kind = type(default) if default is not None else str
        shown = f" (default {default})" if default not in ("", None) else ""
        parser.add_argument(flag, type=kind, default=default, help=text + shown)


def _flatten(results: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in results.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _flatten(value, prefix=f"{name}.")
        else:
            rows.append((name, value))
    return rows


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def format_table(results: dict[str, Any], *, full: bool = False) -> str:
    """The results as two columns; multi-line text (query plans) only when ``full``."""
    rows = _flatten(results)
    width = max((len(name) for name, _value in rows), default=10)
    lines = [f"{'measurement':<{width}}  value", f"{'-' * width}  {'-' * 14}"]
    for name, value in rows:
        text = _shown(value)
        if "\n" not in text:
            lines.append(f"{name:<{width}}  {text}")
        elif full:
            lines.append(f"{name}:")
            lines += [f"    {line}" for line in text.splitlines()]
        else:
            lines.append(f"{name:<{width}}  ({len(text.splitlines())} lines: --full or --json)")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Run a benchmark on fresh data and print its figures (bench --list lists them)."
    # Benchmarks never use this installation's database; checks would only slow the start.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", action="store_true", help="list the benchmarks")
        names = parser.add_subparsers(dest="benchmark", metavar="NAME")
        for name, module_name in _benchmarks().items():
            module = importlib.import_module(module_name)
            sub = names.add_parser(
                name,
                help=_summary(module),
                description=module.__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            sub.add_argument(
                "--json",
                dest="json_path",
                metavar="FILE",
                default=None,
                help="also write the results (with machine and date) to FILE",
            )
            sub.add_argument(
                "--full", action="store_true", help="also print multi-line results (query plans)"
            )
            _add_run_options(sub, module)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options.get("benchmark")
        if options["list"] or not name:
            for bench_name, module_name in _benchmarks().items():
                summary = _summary(importlib.import_module(module_name))
                self.stdout.write(f"{bench_name:<8} {summary}")
            return
        module = importlib.import_module(_benchmarks()[name])
        run_options = {p.name: options[p.name] for p in _option_parameters(module)}
        support = importlib.import_module("bench._support")
        machine = support.machine()
        started_at = datetime.now(tz=UTC)
        began = time.perf_counter()
        try:
            results = module.run(**run_options)
        except support.BenchError as error:
            raise CommandError(f"bench {name}: {error}") from None
        report = {
            "benchmark": name,
            "date": started_at.isoformat(timespec="seconds"),
            "wall_seconds": round(time.perf_counter() - began, 1),
            "machine": {**machine, "load_average_1m_at_end": os.getloadavg()[0]},
            "options": run_options,
            "results": results,
        }
        self.stdout.write(f"closeloop bench {name}  ({report['date']}, {report['wall_seconds']} s)")
        self.stdout.write(format_table(results, full=options["full"]))
        if options.get("json_path"):
            path = Path(options["json_path"])
            path.write_text(json.dumps(report, indent=2, default=str) + "\n")
            self.stdout.write(f"Wrote {path}")
