"""Work queued with a change commits with it (database backend)."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from closeloop.channels.tasks import inbound_recover_sweep
from closeloop.core.jobs import enqueue_with_transaction

pytestmark = pytest.mark.django_db


def test_the_task_row_is_written_in_the_same_transaction():
    with transaction.atomic():
        enqueue_with_transaction(inbound_recover_sweep)
        # Already there inside the transaction: no commit hook needed.
        assert DBTaskResult.objects.filter(task_path__endswith="inbound_recover_sweep").exists()


class _Undo(Exception):
    pass


def _enqueue_then_fail() -> None:
    with transaction.atomic():
        enqueue_with_transaction(inbound_recover_sweep)
        raise _Undo


def test_a_rolled_back_change_leaves_no_task():
    with pytest.raises(_Undo):
        _enqueue_then_fail()
    assert not DBTaskResult.objects.exists()
