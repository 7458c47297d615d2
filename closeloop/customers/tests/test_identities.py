"""Normalising handles (pure)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closeloop.core.errors import InvalidInput
from closeloop.customers.identities import normalize_email, normalize_identity, normalize_phone


def test_email_is_trimmed_and_lowercased():
    assert normalize_email("  Li.Na@Example.COM ") == "li.na@example.com"


@pytest.mark.parametrize("raw", ["", "no-at-sign", "a@b", "two@@example.com", "sp ace@x.com"])
def test_bad_email_is_refused(raw):
    with pytest.raises(InvalidInput) as error:
        normalize_email(raw)
    assert error.value.details == {"field": "email"}


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("13812345678", "CN", "+8613812345678"),
        ("138 1234 5678", "CN", "+8613812345678"),
        ("+86 138-1234-5678", "US", "+8613812345678"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("020 7946 0958", "GB", "+442079460958"),
    ],
)
def test_phone_becomes_e164(raw, region, expected):
    assert normalize_phone(raw, default_region=region) == expected


@pytest.mark.parametrize("raw", ["12345", "not a phone", "+86 000"])
def test_bad_phone_is_refused(raw):
    with pytest.raises(InvalidInput) as error:
        normalize_phone(raw, default_region="CN")
    assert error.value.details == {"field": "phone"}


def test_opaque_ids_keep_case_but_refuse_spaces():
    assert normalize_identity("wechat", " oAbC123 ", default_region="CN") == "oAbC123"
    with pytest.raises(InvalidInput):
        normalize_identity("app", "a b", default_region="CN")


@given(st.text(max_size=40))
def test_phone_normaliser_never_crashes(raw):
    try:
        result = normalize_phone(raw, default_region="CN")
    except InvalidInput:
        return
    assert result.startswith("+")
    assert normalize_phone(result, default_region="US") == result
