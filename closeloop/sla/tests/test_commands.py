"""``closeloop sla`` on the command line."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("sla", *args, stdout=out)
    return out.getvalue().strip()


def test_due_in_minutes_skips_china_national_day():
    assert (
        run(
            "due",
            "--calendar",
            "cn-workdays",
            "--start",
            "2025-09-30T17:00:00+08:00",
            "--minutes",
            "120",
        )
        == "2025-10-09T10:00:00+08:00"
    )


def test_due_in_working_days_is_close_of_business():
    assert (
        run(
            "due",
            "--calendar",
            "cn-workdays",
            "--start",
            "2025-09-30T10:00:00+08:00",
            "--working-days",
            "7",
        )
        == "2025-10-16T18:00:00+08:00"
    )


def test_due_on_24x7_is_plain_hours():
    assert (
        run("due", "--calendar", "24x7", "--start", "2026-01-01T23:30:00+00:00", "--minutes", "60")
        == "2026-01-02T00:30:00+00:00"
    )


def test_calendars_lists_the_shipped_two():
    names = [line.split()[0] for line in run("calendars").splitlines()]
    assert names == ["24x7", "cn-workdays"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--calendar", "mars", "--start", "2026-01-01T00:00+00:00", "--minutes", "5"],
            "no calendar 'mars'",
        ),
        (
            ["--calendar", "24x7", "--start", "2026-01-01T00:00", "--minutes", "5"],
            "needs a UTC offset",
        ),
        (["--calendar", "24x7", "--start", "yesterday", "--minutes", "5"], "not an ISO 8601"),
        (
            ["--calendar", "24x7", "--start", "2026-01-01T00:00+00:00", "--working-days", "0"],
            "at least 1",
        ),
    ],
)
def test_bad_arguments_are_clear_errors(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("sla", "due", *args)
