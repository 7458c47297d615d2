"""The monthly review on a small hand-computed fixture: the data, the HTML page, the PDF (text
read back with pypdf), the CSV, and the ``closeloop report monthly`` command."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from closeloop.analytics.goals import goal_set
from closeloop.analytics.models import Alert, CorrectiveAction
from closeloop.analytics.models_problems import ProblemStatus
from closeloop.analytics.monthly import monthly_csv, monthly_file, monthly_review
from closeloop.analytics.problems import (
    problem_action_add,
    problem_create,
    problem_transition,
)
from closeloop.analytics.tests.factories import category, rule, ticket
from closeloop.core import clock
from closeloop.core.errors import InvalidInput
from closeloop.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():  # noqa: ANN202
    """The figures' labels are checked in English, whatever an earlier test activated."""
    from django.utils import translation

    with translation.override("en"):
        yield


MARCH_MID = datetime(2026, 3, 20, 4, 0, tzinfo=UTC)


def utc(month: int, day: int, hour: int = 4, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def fixture(settings):  # noqa: ANN001, ANN201
    """March 2026 in Asia/Shanghai (UTC+8):

    billing  6 tickets: customer A on 3 and 5 March (the second is a repeat), 4 others, one of
             them at 28 Feb 17:00 UTC = 1 March 01:00 in Shanghai (March, not February);
             1 is a complaint.
    delivery 3 tickets: customer B on 10, 12, 14 March (2 repeats).
    login    1 ticket.
    → 10 tickets: Pareto billing 60 % (cum 60, top 80 %), delivery 30 % (cum 90, top 80 %:
      the cumulative share before it was 60 %), login 10 % (cum 100, not).
    → repeat rate: delivery 2/3 = 66.7 % (above 30 %), billing 1/6 = 16.7 %, login 0/1 = 0 %.
    → complaint rate 1/10 = 10 %; February 0/2 = 0 %: +10, worse; goal < 5: missed.
    February: 2 billing tickets (volume 2 → March change +8). A ticket at 31 March 16:30 UTC is
    1 April in Shanghai and counts in neither month.
    Problems: P1 open, product design, 3 March billing tickets + 1 February one (3 this month,
    4 in all); P2 resolved, training gap, 1 delivery ticket; P3 rejected (not reported).
    Actions: one for P1 found effective, one not checked yet → 1 of 1 checked worked.
    Alerts: one fired on 15 March.
    """
    settings.TIME_ZONE = "Asia/Shanghai"
    billing, delivery, login = category("billing"), category("delivery"), category("login")
    a, b = CustomerFactory(), CustomerFactory()
    march_billing = [
        ticket(created=utc(3, 3), customer=a, category=billing, kind="complaint"),
        ticket(created=utc(3, 5), customer=a, category=billing),
        ticket(created=utc(2, 28, 17), category=billing),
        ticket(created=utc(3, 7), category=billing),
        ticket(created=utc(3, 8), category=billing),
        ticket(created=utc(3, 9), category=billing),
    ]
    march_delivery = [
        ticket(created=utc(3, day), customer=b, category=delivery) for day in (10, 12, 14)
    ]
    ticket(created=utc(3, 16), category=login)
    february = [
        ticket(created=utc(2, 10), category=billing),
        ticket(created=utc(2, 20), category=billing),
    ]
    ticket(created=utc(3, 31, 16, 30), category=login)

    with clock.frozen_at(MARCH_MID):
        p1 = problem_create(
            actor=None,
            title="Double charge on renewal",
            root_cause="product_design",
            tickets=[*march_billing[:3], february[0]],
        )
        p2 = problem_create(
            actor=None,
            title="Wrong delivery promise",
            root_cause="training_gap",
            tickets=[march_delivery[0]],
        )
        problem_transition(problem=p2, actor=None, to=ProblemStatus.RESOLVED)
        p3 = problem_create(actor=None, title="Not a problem", status="proposed")
        problem_transition(problem=p3, actor=None, to=ProblemStatus.REJECTED)
        worked = problem_action_add(problem=p1, actor=None, title="Fix the renewal job")
        CorrectiveAction.objects.filter(pk=worked.pk).update(
            is_improved=True, value_before=12.0, value_after=4.0, effect_checked_at=MARCH_MID
        )
        problem_action_add(problem=p1, actor=None, title="Refund script for agents")
        goal_set(actor=None, metric="complaint_rate", comparison="below", target=5)
    alert_rule = rule(name="Complaints above 10 %")
    Alert.objects.create(
        rule=alert_rule,
        metric="complaint_rate",
        threshold=10,
        fired_at=utc(3, 15),
        fired_value=12.5,
        fired_sample=40,
        last_value=12.5,
    )
    return {"billing": billing, "delivery": delivery, "login": login, "p1": p1, "p2": p2}


def test_the_review_figures(fixture) -> None:  # noqa: ANN001
    review = monthly_review("2026-03")
    assert review.previous_month == "2026-02"
    assert [
        (p.label, p.count, round(p.share, 1), round(p.cumulative, 1), p.vital)
        for p in review.pareto
    ] == [
        ("billing", 6, 60.0, 60.0, True),
        ("delivery", 3, 30.0, 90.0, True),
        ("login", 1, 10.0, 100.0, False),
    ]
    assert [
        (r["label"], r["tickets"], r["repeats"], round(r["rate"], 1), r["over_30"])
        for r in review.repeat
    ] == [
        ("delivery", 3, 2, 66.7, True),
        ("billing", 6, 1, 16.7, False),
        ("login", 1, 0, 0.0, False),
    ]
    volume = next(f for f in review.headline if f.key == "volume")
    assert (volume.value, volume.previous, volume.change) == (10, 2, 8)
    assert (volume.shown, volume.change_shown) == ("10", "+8")
    complaints = next(f for f in review.goals if f.key == "complaint_rate")
    assert (complaints.value, complaints.previous, complaints.better) == (10.0, 0.0, False)
    assert (complaints.goal_label, complaints.met) == ("< 5", False)
    assert (complaints.shown, complaints.previous_shown) == ("10.0 %", "0.0 %")
    assert [(p["title"], p["month_tickets"], p["all_tickets"]) for p in review.problems] == [
        ("Double charge on renewal", 3, 4),
        ("Wrong delivery promise", 1, 1),
    ]
    assert [(c["root_cause"], c["problems"]) for c in review.root_causes] == [
        ("product_design", 1),
        ("training_gap", 1),
    ]
    assert [a["rule"] for a in review.alerts] == ["Complaints above 10 %"]
    assert sorted((a["title"], a["worked"]) for a in review.actions) == [
        ("Fix the renewal job", "Effective"),
        ("Refund script for agents", "Not checked yet"),
    ]
    assert (review.effective_actions, review.checked_actions) == (1, 1)


def test_a_bad_month_is_refused() -> None:
    for bad in ("2026-13", "2026-3", "March", "", "1999-01"):
        with pytest.raises(InvalidInput):
            monthly_review(bad)


def test_the_csv_has_every_section(fixture) -> None:  # noqa: ANN001
    rows = list(csv.reader(io.StringIO(monthly_csv(monthly_review("2026-03")))))
    sections = {row[0] for row in rows}
    assert {
        "headline",
        "pareto",
        "repeat",
        "problems",
        "root_causes",
        "alerts",
        "actions",
        "goals",
    } <= sections
    assert ["pareto", str(fixture["billing"].pk), "billing", "6", "60.00", "60.00", "yes"] in rows
    assert monthly_file(monthly_review("2026-03"), "csv").startswith(b"\xef\xbb\xbf")


def test_the_pdf_text(fixture) -> None:  # noqa: ANN001
    from pypdf import PdfReader

    pdf = monthly_file(monthly_review("2026-03"), "pdf")
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for title in (
        "Monthly review 2026-03",
        "Pareto of categories",
        "Repeat rate by category",
        "Top problems and their root causes",
        "Alerts and corrective actions",
        "SLA and survey results against goals",
        "Double charge on renewal",
        "66.7",
        "Fix the renewal job",
        "10.0 %",
    ):
        assert title in text, title


def test_the_pdf_in_chinese(fixture) -> None:  # noqa: ANN001
    from django.utils import translation
    from pypdf import PdfReader

    fixture["billing"].name_zh = "账单"
    fixture["billing"].save()
    with translation.override("zh-hans"):
        pdf = monthly_file(monthly_review("2026-03"), "pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "账单" in text


def test_the_command_writes_three_files(fixture, tmp_path: Path) -> None:  # noqa: ANN001
    out = io.StringIO()
    call_command("report", "monthly", "--month", "2026-03", "--output", str(tmp_path), stdout=out)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "monthly-review-2026-03.csv",
        "monthly-review-2026-03.html",
        "monthly-review-2026-03.pdf",
    ]
    html = (tmp_path / "monthly-review-2026-03.html").read_text()
    assert "Pareto of categories" in html
    assert "Double charge on renewal" in html
    assert "monthly-review-2026-03.pdf" in out.getvalue()


def test_the_command_one_format_to_stdout(fixture) -> None:  # noqa: ANN001
    out = io.StringIO()
    call_command(
        "report", "monthly", "--month", "2026-03", "--format", "csv", "--output", "-", stdout=out
    )
    assert out.getvalue().startswith("section,month,2026-03")


def test_the_command_refuses_a_bad_month(db) -> None:  # noqa: ANN001
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("report", "monthly", "--month", "2026-13")


def test_the_command_exit_code_for_a_bad_month(db, capsys) -> None:  # noqa: ANN001
    from django.core.management import execute_from_command_line

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["closeloop", "report", "monthly", "--month", "26-1"])
    assert exit_info.value.code != 0
    assert "YYYY-MM" in capsys.readouterr().err
