"""Trained classifier versions: storing one, activating one, rolling back, and reading the
active one from a per-process cache that every worker refreshes within a few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from closeloop.core import clock
from closeloop.core.errors import CloseloopError, ConcurrentChange, InvalidInput, NotFound
from closeloop.triage.models import ClassifierVersion

# How long a process trusts its copy of the active version before asking the database again
# (one indexed read of one integer): the most any worker lags behind an activation.
ACTIVE_CHECK_SECONDS = 3.0
MAX_BACKEND_LENGTH = 50

LoadedT = TypeVar("LoadedT")


class NothingToRollBack(CloseloopError):
    """No version was active before the current one (or none is active)."""

    code = "nothing_to_roll_back"
    http_status = 409


def _clean_evaluation(evaluation: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(evaluation, dict):
        raise InvalidInput(_("evaluation must be an object."), details={"field": "evaluation"})
    for key in ("accuracy", "macro_f1"):
        value = evaluation.get(key)
        if value is not None and not (isinstance(value, int | float) and 0 <= value <= 1):
            raise InvalidInput(
                _("%(field)s must be between 0 and 1.") % {"field": key},
                details={"field": f"evaluation.{key}"},
            )
    return evaluation


@transaction.atomic
def version_store(
    *,
    backend: str,
    blob: bytes,
    labels: Sequence[str],
    evaluation: dict[str, Any],
    examples: int,
    trained_by: str = "",
    notes: str = "",
) -> ClassifierVersion:
    """Keep a trained model as the next version (inactive until someone activates it)."""
    if not backend or len(backend) > MAX_BACKEND_LENGTH:
        raise InvalidInput(_("backend must be a short name."), details={"field": "backend"})
    if not blob:
        raise InvalidInput(_("The serialised model is empty."), details={"field": "blob"})
    if not labels or not all(isinstance(label, str) and label for label in labels):
        raise InvalidInput(_("labels must be category codes."), details={"field": "labels"})
    if examples < 0:
        raise InvalidInput(_("examples cannot be negative."), details={"field": "examples"})
    evaluation = _clean_evaluation(evaluation)
    for _attempt in range(3):
        number = (ClassifierVersion.objects.aggregate(last=Max("number"))["last"] or 0) + 1
        try:
            with transaction.atomic():
                return ClassifierVersion.objects.create(
                    number=number,
                    backend=backend,
                    created_at=clock.now(),
                    trained_by=trained_by[:150],
                    examples_count=examples,
                    labels=list(labels),
                    evaluation=evaluation,
                    model=bytes(blob),
                    notes=notes,
                )
        except IntegrityError:
            continue  # another process took the number; take the next one
    raise ConcurrentChange(_("Could not number the new classifier version; try again."))


def _activate(version: ClassifierVersion, *, previous: ClassifierVersion | None) -> None:
    now = clock.now()
    # Deactivate first: the partial unique index allows one active row at any moment.
    ClassifierVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
    fields: dict[str, Any] = {"is_active": True, "activated_at": now}
    if previous is not None:
        fields["previous"] = previous
    ClassifierVersion.objects.filter(pk=version.pk).update(**fields)
    for name, value in fields.items():
        setattr(version, name, value)
    # This process sees it at once (and again after commit, in case a read in between cached
    # the old one); the others at their next check.
    clear_version_cache()
    transaction.on_commit(clear_version_cache)


def _locked_active() -> ClassifierVersion | None:
    return (
        ClassifierVersion.objects.select_for_update().filter(is_active=True).defer("model").first()
    )


@transaction.atomic
def version_activate(version: ClassifierVersion) -> ClassifierVersion:
    """Make ``version`` the one every worker classifies with; remember which it replaces."""
    current = _locked_active()
    if not ClassifierVersion.objects.filter(pk=version.pk).exists():
        raise NotFound(_("Classifier version %(number)s not found.") % {"number": version.number})
    if current is not None and current.pk == version.pk:
        version.is_active = True
        return version  # already active: nothing changes
    _activate(version, previous=current)
    return version


@transaction.atomic
def version_rollback() -> ClassifierVersion:
    """Re-activate the version that was active before the current one (repeatable: each
    rollback goes one step further back)."""
    current = _locked_active()
    if current is None or current.previous_id is None:
        raise NothingToRollBack(_("There is no earlier classifier version to roll back to."))
    target = ClassifierVersion.objects.defer("model").get(pk=current.previous_id)
    # Keep the target's own ``previous``, so a second rollback walks further back.
    _activate(target, previous=None)
    return target


# -- the active version, cached per process -----------------------------------------------


class _ActiveCache:
    """This process's copy of the active version (and whatever was loaded from it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked_at = -float("inf")
        self.number: int | None = None
        self.version: ClassifierVersion | None = None
        self.loaded: dict[Callable[..., Any], Any] = {}

    def clear(self) -> None:
        with self.lock:
            self.checked_at = -float("inf")
            self.number = None
            self.version = None
            self.loaded = {}


_cache = _ActiveCache()


def clear_version_cache() -> None:
    """Forget this process's active version (after an activation here, and between tests)."""
    _cache.clear()


def version_active() -> ClassifierVersion | None:
    """The active classifier version (None when there is none).

    Every few seconds the process asks which number is active (a one-integer read) and
    reloads the version, model included, only when that number changed.
    """
    with _cache.lock:
        now = time.monotonic()
        if now - _cache.checked_at < ACTIVE_CHECK_SECONDS:
            return _cache.version
        number = (
            ClassifierVersion.objects.filter(is_active=True)
            .values_list("number", flat=True)
            .first()
        )
        if number != _cache.number:
            _cache.version = (
                ClassifierVersion.objects.filter(number=number).first()
                if number is not None
                else None
            )
            _cache.number = _cache.version.number if _cache.version else None
            _cache.loaded = {}
        _cache.checked_at = now
        return _cache.version


def version_active_loaded(load: Callable[[ClassifierVersion], LoadedT]) -> LoadedT | None:
    """``load(active version)`` (e.g. the unpickled model), computed once per version per
    process; None when no version is active."""
    version = version_active()
    if version is None:
        return None
    with _cache.lock:
        if _cache.number == version.number and load in _cache.loaded:
            return _cache.loaded[load]  # type: ignore[no-any-return]
    loaded = load(version)
    with _cache.lock:
        if _cache.number == version.number:
            _cache.loaded[load] = loaded
    return loaded
