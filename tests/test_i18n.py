"""Simplified Chinese ships complete: every string translated, compiled, and served by the API."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

import closeloop

LOCALE_DIR = Path(closeloop.__file__).resolve().parent / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH_MO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.mo"
EN_MO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.mo"

# %(name)s, %(name)d, … and bare %s / %d; a lone "%" (as in "warning at %") is not one.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx]")

PENDING_CUSTOMER_ZH = "待客户回复"


def _parse_po(path: Path) -> list[dict]:
    """Return the catalogue's entries (header included) as dicts: msgid, msgstr, flags, line.

    A tiny parser for what ``makemessages`` writes: ``#,`` flags, ``msgctxt``/``msgid``/
    ``msgid_plural``/``msgstr``/``msgstr[n]`` keywords, each followed by quoted continuation lines.
    Obsolete ``#~`` entries are skipped.
    """
    entries: list[dict] = []
    entry: dict | None = None
    field: str | None = None

    def finish() -> None:
        if entry is not None and "msgid" in entry:
            entries.append(entry)

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if line.startswith("#"):
            if entry is not None and "msgid" in entry:  # a comment starts the next entry
                finish()
                entry, field = None, None
            entry = entry or {"flags": set(), "line": number}
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            keyword, rest = field, line
        elif keyword == "msgctxt" or (keyword == "msgid" and entry and "msgid" in entry):
            finish()
            entry = None
        entry = entry or {"flags": set(), "line": number}
        if keyword is None:
            raise AssertionError(f"{path}:{number}: text outside an entry")
        field = keyword
        entry[field] = entry.get(field, "") + ast.literal_eval(rest)
    finish()
    return entries


def _messages() -> list[dict]:
    return [entry for entry in _parse_po(ZH_PO) if entry["msgid"]]


def _where(entry: dict) -> str:
    return f"{ZH_PO.name}:{entry['line']} {entry['msgid']!r}"


def test_the_catalogue_has_messages_and_a_clean_header() -> None:
    entries = _parse_po(ZH_PO)
    header = entries[0]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "charset=UTF-8" in header["msgstr"]
    assert "Language: zh_Hans" in header["msgstr"]
    assert len(entries) > 100


def test_every_message_is_translated_and_none_is_fuzzy() -> None:
    untranslated = [
        _where(entry)
        for entry in _messages()
        if not all(value.strip() for key, value in entry.items() if key.startswith("msgstr"))
    ]
    fuzzy = [_where(entry) for entry in _messages() if "fuzzy" in entry["flags"]]
    assert not untranslated, untranslated
    assert not fuzzy, fuzzy


def test_placeholders_are_kept_exactly() -> None:
    mismatched = []
    for entry in _messages():
        expected = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for key, value in entry.items():
            if key.startswith("msgstr") and sorted(PLACEHOLDER.findall(value)) != expected:
                mismatched.append(f"{_where(entry)} -> {value!r}")
    assert not mismatched, mismatched


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    """The .mo files ship in the tree (no gettext at run time) and must not lag the .po."""
    assert EN_MO.is_file()
    with ZH_MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    def compiled_text(entry: dict) -> str:
        if "msgctxt" in entry:
            return compiled.pgettext(entry["msgctxt"], entry["msgid"])
        return compiled.gettext(entry["msgid"])

    stale = [
        _where(entry)
        for entry in _messages()
        if "msgid_plural" not in entry and compiled_text(entry) != entry["msgstr"]
    ]
    assert not stale, f"run compilemessages: {stale}"


def test_status_labels_are_chinese() -> None:
    from closeloop.tickets.models import Status

    with translation.override("zh-hans"):
        assert str(Status.PENDING_CUSTOMER.label) == PENDING_CUSTOMER_ZH
        assert str(Status.RESOLVED.label) == "已解决"
    with translation.override("en"):
        assert str(Status.PENDING_CUSTOMER.label) == "Waiting on customer"


def _client_for(user, language: str | None) -> Client:  # noqa: ANN001
    from closeloop.core.tokens import api_token_create

    _token, clear = api_token_create(user=user)
    headers = {"Authorization": f"Bearer {clear}"}
    if language:
        headers["Accept-Language"] = language
    return Client(headers=headers)


def _resolve_new_ticket(client):  # noqa: ANN001, ANN202
    """Resolve a brand-new ticket: the lifecycle refuses New -> Resolved with 409."""
    from closeloop.tickets.tests.factories import make_ticket

    ticket = make_ticket()
    with translation.override("en"):  # LocaleMiddleware activates per request; restore after
        return client.post(
            f"/api/v1/tickets/{ticket.id}/actions",
            {"action": "resolve"},
            content_type="application/json",
        )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "zh-CN,zh;q=0.9,en;q=0.8"])
def test_api_errors_come_back_in_chinese(agent, language) -> None:  # noqa: ANN001
    response = _resolve_new_ticket(_client_for(agent.user, language))
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["message"] == "工单无法从“新建”变为“已解决”。"
    assert body["details"] == {"from": "new", "to": "resolved"}
    assert response.headers["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_api_errors_stay_english_without_accept_language(api_as, agent) -> None:  # noqa: ANN001
    response = _resolve_new_ticket(api_as(agent.user))  # conftest ApiClient: no Accept-Language
    assert response.status_code == 409, response.content
    assert response.json()["message"] == "A ticket cannot go from New to Resolved."


def test_the_expected_chinese_is_what_the_catalogue_says() -> None:
    by_id = {e["msgid"]: e["msgstr"] for e in _messages() if "msgid_plural" not in e}
    template = by_id["A ticket cannot go from %(current)s to %(target)s."]
    assert template % {"current": by_id["New"], "target": by_id["Resolved"]} == (
        "工单无法从“新建”变为“已解决”。"
    )
    assert by_id["Waiting on customer"] == PENDING_CUSTOMER_ZH
