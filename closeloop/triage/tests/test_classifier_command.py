"""``closeloop triage eval`` on small CSV files."""

from __future__ import annotations

import csv
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from closeloop.triage.tests.test_classifier import TICKETS


def write_csv(path, rows, header=("text", "label")):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return str(path)


@pytest.fixture
def train_file(tmp_path):
    return write_csv(tmp_path / "train.csv", TICKETS)


@pytest.fixture
def test_file(tmp_path):
    rows = [
        ("快递还没收到", "delivery"),
        ("Where is my parcel?", "delivery"),
        ("我要退款", "refund"),
        ("refund my money", "refund"),
        ("忘记密码", "account"),
        ("forgot my password", "account"),
        ("重新开发票", "invoice"),
        ("invoice with company name", "invoice"),
    ]
    return write_csv(tmp_path / "test.csv", rows)


def run(*args: str) -> str:
    out = StringIO()
    call_command("triage", *args, stdout=out)
    return out.getvalue()


def test_eval_prints_scores_and_speed(train_file, test_file):
    output = run("eval", "--train", train_file, "--test", test_file)

    assert "backend             default" in output
    assert "train / test texts  25 / 8" in output
    assert "accuracy            1.0000" in output
    assert "macro-F1            1.0000" in output
    for figure in ("training seconds", "predictions/second", "single p95 ms"):
        assert figure in output


def test_eval_lists_confused_pairs(train_file, tmp_path):
    # Expect "invoice" for a delivery text: the one confusion must be shown.
    test_file = write_csv(tmp_path / "wrong.csv", [("我的快递还没到", "invoice")])

    output = run("eval", "--train", train_file, "--test", test_file)

    assert "accuracy            0.0000" in output
    assert "invoice -> delivery: 1" in output


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([], ("text", "label"), "has no rows"),
        ([("hello", "x")], ("body", "category"), "missing text, label"),
        ([("a", "x"), ("b", "x")], ("text", "label"), "at least two labels"),
        ([("a", "x"), ("", "y")], ("text", "label"), "line 3 has an empty text or label"),
    ],
)
def test_eval_refuses_bad_training_files(tmp_path, test_file, rows, header, message):
    train_file = write_csv(tmp_path / "bad.csv", rows, header)

    with pytest.raises(CommandError, match=message):
        run("eval", "--train", train_file, "--test", test_file)


def test_eval_refuses_a_missing_file(tmp_path, train_file):
    with pytest.raises(CommandError, match=r"--test: there is no file .*absent\.csv"):
        run("eval", "--train", train_file, "--test", str(tmp_path / "absent.csv"))


def test_eval_refuses_an_unknown_backend(train_file, test_file):
    with pytest.raises(CommandError, match="no classifier backend 'bert'"):
        run("eval", "--train", train_file, "--test", test_file, "--backend", "bert")


def test_eval_error_exits_non_zero_without_traceback(tmp_path, test_file):
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "closeloop.cli",
            "triage",
            "eval",
            "--train",
            str(tmp_path / "absent.csv"),
            "--test",
            test_file,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "--train: there is no file" in result.stderr
    assert "Traceback" not in result.stderr
