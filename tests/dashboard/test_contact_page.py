"""The contact page: the full message, the lead's other contacts, actions, notes and the timeline in words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.builders import make_contact, make_operator, make_source
from tests.dashboard.conftest import get, post
from webapp.models import Assignment, Contact, ContactNote
from webapp.presentation import assignment_sentence

LONG_MESSAGE = "Please call me back about the order. " * 60


def test_contact_page_shows_the_full_message_lead_and_other_contacts(app, manager):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    first = make_contact(source, external_id="tg-7", name="Ivan", message=LONG_MESSAGE)
    second = make_contact(source, external_id="tg-7", message="again")
    page = get(manager, f"/contacts/{first.id}")
    assert page.text("[data-testid=contact-message]") == " ".join(LONG_MESSAGE.split())
    assert page.text("[data-testid=contact-lead]") == "Ivan"
    assert page.text("[data-testid=contact-operator]") == "Anna"
    assert [a["href"] for a in page.select("[data-testid=other-contact]")] == [f"/contacts/{second.id}"]
    entries = page.texts("[data-testid=timeline-entry]")
    assert len(entries) == 1 and "given to Anna, at intake, by weighted pick: Anna 1 of 1" in entries[0]


def test_an_unknown_contact_is_404(manager):
    get(manager, "/contacts/999999", status=404)


def test_board_rows_link_to_the_contact_page(app, manager):
    source = make_source("Telegram")
    contact = make_contact(source, message="hi")
    page = get(manager, "/contacts")
    assert f"/contacts/{contact.id}" in [a["href"] for a in page.select("[data-testid=contact-link]")]


def test_notes_are_listed_newest_last_with_author_and_time(app, manager, supervisor):
    contact = make_contact(make_source("Telegram"), message="hi")
    assert post(manager, f"/contacts/{contact.id}/notes", {"text": "  Called, no answer  "}).status == 302
    post(supervisor, f"/contacts/{contact.id}/notes", {"text": "Try again at 5"})
    page = get(manager, f"/contacts/{contact.id}")
    notes = page.texts("[data-testid=note]")
    assert len(notes) == 2
    assert notes[0].startswith("max") and notes[0].endswith("Called, no answer")
    assert notes[1].startswith("sue") and notes[1].endswith("Try again at 5")
    assert page.select("[data-testid=note] time")[0]["datetime"]


@pytest.mark.parametrize("text", ["", "   ", "x" * 5001])
def test_an_empty_or_too_long_note_is_refused_inline_and_nothing_is_stored(app, session, manager, text):
    contact = make_contact(make_source("Telegram"), message="hi")
    page = post(manager, f"/contacts/{contact.id}/notes", {"text": text}, status=422)
    assert page.text("[data-testid=note-error]") == "A note is 1 to 5000 characters."
    assert page.one("[data-testid=note-text]").get_text() == text  # what was typed stays
    assert session.query(ContactNote).count() == 0


def test_actions_on_the_contact_page_return_to_it(app, session, manager):
    anna = make_operator("Anna")
    contact = make_contact(make_source("Telegram", weights={anna: 1}), message="hi")
    response = manager.post(f"/contacts/{contact.id}/unassign", data={"back": "contact"})
    assert response.headers["Location"] == f"/contacts/{contact.id}"
    page = get(manager, f"/contacts/{contact.id}")
    # Then the drain hands the freed contact out again (the source drains automatically).
    unassigned, drained = page.texts("[data-testid=timeline-entry]")[-2:]
    assert "taken from Anna, on unassignment, by max" in unassigned
    assert "given to Anna, when capacity freed up" in drained
    response = manager.post(f"/contacts/{contact.id}/status",
                            data={"set_status": "closed", "back": "contact"})
    assert response.headers["Location"] == f"/contacts/{contact.id}"
    session.rollback()  # a new snapshot: see what the requests committed
    assert session.get(Contact, contact.id).status == "closed"
    assert not get(manager, f"/contacts/{contact.id}").select("[data-testid=contact-actions]")


def test_forcing_over_the_limit_asks_for_a_reason_and_records_it(app, session, manager):
    full = make_operator("Clara", limit=0)
    contact = make_contact(make_source("Telegram"), message="hi")
    form = {"operator_id": str(full.id), "force": "true", "back": "contact"}
    page = post(manager, f"/contacts/{contact.id}/operator", form, status=422)
    assert page.text("[data-testid=assign-reason-error]") == (
        "Say why this contact goes over the limit or to an inactive operator.")
    assert session.get(Contact, contact.id).operator_id is None
    session.rollback()
    assert session.query(Assignment).filter_by(trigger="manual").count() == 0

    response = manager.post(f"/contacts/{contact.id}/operator", data=form | {"reason": "VIP customer"})
    assert response.headers["Location"] == f"/contacts/{contact.id}"
    session.rollback()
    record = session.query(Assignment).filter_by(trigger="manual").one()
    assert (record.forced, record.reason, record.operator_id) == (True, "VIP customer", full.id)
    sentence = get(manager, f"/contacts/{contact.id}").texts("[data-testid=timeline-entry]")[-1]
    assert sentence.endswith(
        "given to Clara, by hand, by max, over the limit (forced), reason: “VIP customer”")


def test_an_override_that_was_not_needed_asks_no_reason_and_is_not_forced(app, session, manager):
    anna = make_operator("Anna", limit=5)
    contact = make_contact(make_source("Telegram"), message="hi")
    manager.post(f"/contacts/{contact.id}/operator", data={"operator_id": str(anna.id), "force": "true"})
    session.rollback()
    record = session.query(Assignment).filter_by(trigger="manual").one()
    assert (record.forced, record.operator_id) == (False, anna.id)


def test_the_lead_card_shows_each_contacts_timeline(app, manager):
    anna = make_operator("Anna")
    source = make_source("Telegram", weights={anna: 1})
    make_contact(source, external_id="tg-1", message="one")
    contact = make_contact(source, external_id="tg-1", message="two")
    page = get(manager, f"/leads/{contact.lead_id}")
    assert len(page.select("[data-testid=lead-timeline]")) == 2
    assert all("given to Anna" in entry for entry in page.texts("[data-testid=timeline-entry]"))


# --- Sentences: every trigger, rule and actor -------------------------------------------

AT = datetime(2026, 12, 3, 14, 2, tzinfo=UTC)
NAMES = {1: "Anna", 2: "Boris", 3: "Clara", 4: "Dan"}
CANDIDATES = [
    {"operator_id": 1, "weight": 3, "load": 1, "limit": 5, "eligible": True, "excluded_because": None},
    {"operator_id": 2, "weight": 3, "load": 2, "limit": 5, "eligible": True, "excluded_because": None},
    {"operator_id": 3, "weight": 2, "load": 5, "limit": 5, "eligible": False, "excluded_because": "at_limit"},
    {"operator_id": 4, "weight": 1, "load": 0, "limit": 5, "eligible": False, "excluded_because": "inactive"},
]
EXCLUDED_ONLY = CANDIDATES[2:]


def record(trigger, rule, *, to=None, came_from=None, actor=("system", "system"), candidates=(), **fields):
    return Assignment(at=AT, trigger=trigger, rule=rule, actor_kind=actor[0], actor_name=actor[1],
                      operator_id=to, from_operator_id=came_from, candidates=list(candidates),
                      forced=fields.get("forced", False), reason=fields.get("reason"))


WEIGHTED = "by weighted pick: Anna 3 of 6, Boris 3 of 6; Clara at limit 5/5, Dan inactive"


@pytest.mark.parametrize(
    "assignment, expected",
    [
        (record("intake", "weighted", to=1, actor=("token", "bot"), candidates=CANDIDATES),
         f"given to Anna, at intake, {WEIGHTED}, by token bot"),
        (record("intake", "none", actor=("token", "bot"), candidates=EXCLUDED_ONLY),
         "nobody could take it, at intake, nobody eligible: Clara at limit 5/5, Dan inactive, by token bot"),
        (record("intake", "none"), "nobody could take it, at intake, nobody weighted"),
        (record("manual", "manual", to=2, came_from=1, actor=("user", "max")),
         "moved from Anna to Boris, by hand, by max"),
        (record("manual", "manual", to=3, actor=("user", "sue"), forced=True, reason="VIP"),
         "given to Clara, by hand, by sue, over the limit (forced), reason: “VIP”"),
        (record("redistribute", "weighted", to=2, actor=("user", "sue"), candidates=CANDIDATES),
         f"given to Boris, on redistribution, {WEIGHTED}, by sue"),
        (record("drain", "weighted", to=1, candidates=CANDIDATES),
         f"given to Anna, when capacity freed up, {WEIGHTED}"),
        (record("sweep", "weighted", to=1, candidates=CANDIDATES),
         f"given to Anna, by the periodic sweep, {WEIGHTED}"),
        (record("timeout", "weighted", to=2, came_from=1, candidates=CANDIDATES),
         f"moved from Anna to Boris, after a response timeout, {WEIGHTED}"),
        (record("unassign", "manual", came_from=1, actor=("user", "max"), reason="holiday"),
         "taken from Anna, on unassignment, by max, reason: “holiday”"),
        (record("merge", "manual", to=1, actor=("token", "admin")),
         "given to Anna, in a lead merge, by token admin"),
        (record("intake", "sticky", to=1, actor=("token", "bot")),
         "given to Anna, at intake, back to the operator of the returning lead, by token bot"),
        (record("manual", "manual", to=9, actor=("user", "max")), "given to operator #9, by hand, by max"),
    ],
)
def test_every_kind_of_record_reads_as_a_sentence(app, assignment, expected):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        sentence = assignment_sentence(assignment, NAMES)
    time, _, words = sentence.partition(" — ")
    assert "2:02" in time  # 14:02 UTC in the deployment's zone and the request's language
    assert words == expected


def test_sentences_are_translated(app):
    assignment = record("intake", "weighted", to=1, actor=("token", "bot"), candidates=CANDIDATES)
    with app.test_request_context(headers={"Accept-Language": "ru"}):
        sentence = assignment_sentence(assignment, NAMES)
    assert "Anna" in sentence and "given to" not in sentence and "передан" in sentence
