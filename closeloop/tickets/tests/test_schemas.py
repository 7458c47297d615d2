"""The API's spelled-out choices stay in step with the model enums."""

from typing import get_args

import pytest

from closeloop.tickets import schemas
from closeloop.tickets.models import Channel, Kind, Priority, Status, Touchpoint


@pytest.mark.parametrize(
    ("literal", "enum", "extra"),
    [
        (schemas.ChannelName, Channel, set()),
        (schemas.KindName, Kind, set()),
        (schemas.PriorityName, Priority, set()),
        (schemas.TouchpointName, Touchpoint, set()),
        (schemas.StatusFilter, Status, {"open"}),
    ],
)
def test_literals_match_enums(literal, enum, extra):
    assert set(get_args(literal)) == set(enum.values) | extra
