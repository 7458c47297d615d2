"""Classifier versions: store, activate, roll back, one active, the per-process cache."""

import pytest
from django.db import IntegrityError, transaction

from closeloop.core.errors import InvalidInput
from closeloop.triage import versions
from closeloop.triage.models import ClassifierVersion
from closeloop.triage.versions import (
    NothingToRollBack,
    clear_version_cache,
    version_activate,
    version_active,
    version_active_loaded,
    version_rollback,
    version_store,
)

pytestmark = pytest.mark.django_db

EVALUATION = {
    "accuracy": 0.91,
    "macro_f1": 0.88,
    "per_label": {"refund": {"precision": 0.9, "recall": 0.92, "f1": 0.91, "support": 40}},
    "confusion_pairs": [["refund", "return", 3]],
}


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_version_cache()
    yield
    clear_version_cache()


def store(**overrides):
    values = {
        "backend": "tfidf-linear",
        "blob": b"model-bytes",
        "labels": ["refund", "return"],
        "evaluation": EVALUATION,
        "examples": 120,
        "trained_by": "admin",
    }
    values.update(overrides)
    return version_store(**values)


def test_store_numbers_versions_and_keeps_everything_inactive():
    first = store()
    second = store(blob=b"other", examples=300)
    assert (first.number, second.number) == (1, 2)
    second.refresh_from_db()
    assert bytes(second.model) == b"other"
    assert second.examples_count == 300
    assert second.labels == ["refund", "return"]
    assert second.evaluation == EVALUATION
    assert second.trained_by == "admin"
    assert not second.is_active
    assert version_active() is None


@pytest.mark.parametrize(
    "bad",
    [
        {"backend": ""},
        {"blob": b""},
        {"labels": []},
        {"labels": ["refund", ""]},
        {"examples": -1},
        {"evaluation": {"accuracy": 1.5}},
    ],
)
def test_store_refuses_bad_input_and_writes_nothing(bad):
    with pytest.raises(InvalidInput):
        store(**bad)
    assert not ClassifierVersion.objects.exists()


def test_activate_makes_exactly_one_active():
    first, second = store(), store()
    version_activate(first)
    version_activate(second)
    assert list(
        ClassifierVersion.objects.filter(is_active=True).values_list("number", flat=True)
    ) == [2]
    second.refresh_from_db()
    assert second.previous_id == first.pk
    assert second.activated_at is not None


def test_activating_the_active_version_changes_nothing():
    first = store()
    version_activate(first)
    version_activate(first)
    first.refresh_from_db()
    assert first.is_active
    assert first.previous_id is None


def test_the_database_refuses_two_active_versions():
    first, second = store(), store()
    version_activate(first)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClassifierVersion.objects.filter(pk=second.pk).update(is_active=True)


def test_rollback_walks_back_one_activation_at_a_time():
    first, second, third = store(), store(), store()
    for version in (first, second, third):
        version_activate(version)

    assert version_rollback().number == 2
    assert version_active().number == 2
    assert version_rollback().number == 1
    assert list(
        ClassifierVersion.objects.filter(is_active=True).values_list("number", flat=True)
    ) == [1]
    with pytest.raises(NothingToRollBack):
        version_rollback()
    assert version_active().number == 1


def test_rollback_without_an_active_version_is_refused():
    store()
    with pytest.raises(NothingToRollBack) as error:
        version_rollback()
    assert error.value.code == "nothing_to_roll_back"


def test_cache_sees_an_activation_made_by_another_process(monkeypatch):
    first, second = store(), store(blob=b"second")
    version_activate(first)
    ticks = iter([100.0, 101.0, 100.0 + versions.ACTIVE_CHECK_SECONDS + 1])
    monkeypatch.setattr(versions.time, "monotonic", lambda: next(ticks))
    assert version_active().number == 1  # checked at t=100

    # Another worker activates version 2: a plain UPDATE this process does not hear about.
    ClassifierVersion.objects.filter(pk=first.pk).update(is_active=False)
    ClassifierVersion.objects.filter(pk=second.pk).update(is_active=True)

    assert version_active().number == 1  # within the check interval: the cached copy
    active = version_active()  # after it: the new version, model included
    assert active.number == 2
    assert bytes(active.model) == b"second"


def test_cache_is_refreshed_at_once_by_a_local_activation():
    first, second = store(), store()
    version_activate(first)
    assert version_active().number == 1
    version_activate(second)
    assert version_active().number == 2


def test_loaded_model_is_computed_once_per_version():
    first, second = store(blob=b"one"), store(blob=b"two")
    calls = []

    def load(version):
        calls.append(version.number)
        return bytes(version.model).decode()

    assert version_active_loaded(load) is None
    version_activate(first)
    assert version_active_loaded(load) == "one"
    assert version_active_loaded(load) == "one"
    version_activate(second)
    assert version_active_loaded(load) == "two"
    assert calls == [1, 2]
