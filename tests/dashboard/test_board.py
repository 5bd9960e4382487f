"""The contact board: filters, polling, manual assignment, status, redistribution, export."""

from __future__ import annotations

import csv
import io

import pytest

from tests.builders import committed, make_contact, make_operator, make_source
from tests.dashboard.conftest import get, post
from webapp import directory
from webapp.extensions import db
from webapp.models import Contact
from webapp.queries.board import WAITING_PAGE_SIZE


@pytest.fixture
def board(app):
    anna = make_operator("Anna", limit=1)
    boris = make_operator("Boris", limit=5)
    telegram = make_source("Telegram bot", {anna: 1})
    widget = make_source("Site widget")
    held = make_contact(telegram, "tg-1", name="Held Harry")  # Anna takes it and is then full
    waiting = make_contact(telegram, "tg-2", name="Waiting Wanda")  # nobody left
    web = make_contact(widget, "web-1", name="Web Walter", message="=HYPERLINK(\"x\")")
    return {"anna": anna, "boris": boris, "telegram": telegram, "widget": widget,
            "held": held, "waiting": waiting, "web": web}


def contact(contact_id):
    db.session.rollback()  # end the test's read transaction: see what requests committed
    return db.session.get(Contact, contact_id)


def unassigned_ids(page):
    return [int(row["data-contact-id"]) for row in page.select("[data-testid=unassigned-row]")]


def test_unassigned_on_top_oldest_first_and_assigned_below(supervisor, board):
    page = get(supervisor, "/contacts")
    assert unassigned_ids(page) == [board["waiting"].id, board["web"].id]  # the longest wait on top
    rows = page.select("[data-testid=contact-row]")
    assert [int(r["data-contact-id"]) for r in rows] == [board["held"].id]
    assert "Anna" in rows[0].get_text()


def test_filters_live_in_the_url_and_in_the_poll(supervisor, board):
    page = get(supervisor, f"/contacts?source={board['widget'].id}")
    assert unassigned_ids(page) == [board["web"].id]
    assert page.one("[data-testid=filter-source] option[selected]")["value"] == str(board["widget"].id)
    assert f"source={board['widget'].id}" in page.one("#board")["hx-get"]
    assert page.one("[data-testid=board-filters]")["hx-push-url"] == "true"
    page = get(supervisor, f"/contacts?operator={board['anna'].id}")
    assert unassigned_ids(page) == []
    assert [int(r["data-contact-id"]) for r in page.select("[data-testid=contact-row]")] == [board["held"].id]
    page = get(supervisor, "/contacts?status=closed&source=nonsense")
    assert page.select("[data-testid=contact-row]") == []


def test_the_poll_holds_new_contacts_behind_a_bar_and_show_highlights_them(supervisor, board):
    page = get(supervisor, "/contacts")
    poll_url = page.one("#board")["hx-get"]
    assert page.select("tr.is-new") == []
    assert page.one("[data-testid=new-bar]").get_text(strip=True) == ""
    fresh = [make_contact(board["widget"], "web-2"), make_contact(board["widget"], "web-3")]
    poll = get(supervisor, poll_url, htmx=True)
    # The rows drawn before stay as they were; the arrivals wait behind the bar, counted.
    assert unassigned_ids(poll) == unassigned_ids(page)
    assert poll.text("[data-testid=show-new]") == "2 new — show"
    assert poll.text("[data-testid=unassigned-count]") == "4"
    assert poll.one("#board")["hx-get"] == poll_url  # the next poll holds them back too
    shown = get(supervisor, poll.one("[data-testid=show-new]")["hx-get"], htmx=True)
    assert [int(row["data-contact-id"]) for row in shown.select("tr.is-new")] == [c.id for c in fresh]
    assert unassigned_ids(shown)[-2:] == [c.id for c in fresh]  # at the end of the oldest-first queue
    again = get(supervisor, shown.one("#board")["hx-get"], htmx=True)
    assert again.select("tr.is-new") == []
    assert again.select("[data-testid=show-new]") == []


def test_the_whole_queue_pages_oldest_first_with_its_count_and_oldest_wait(supervisor, board):
    more = [make_contact(board["widget"], f"web-{number}") for number in range(WAITING_PAGE_SIZE + 3)]
    expected = [board["waiting"].id, board["web"].id] + [c.id for c in more]
    first = get(supervisor, "/contacts")
    assert unassigned_ids(first) == expected[:WAITING_PAGE_SIZE]
    total = str(len(expected))
    assert first.text("[data-testid=unassigned-count]") == total
    assert first.text("[data-testid=oldest-waiting]").startswith("oldest waiting")
    second = get(supervisor, first.one("[data-testid=waiting-next]")["href"])
    assert unassigned_ids(second) == expected[WAITING_PAGE_SIZE:]
    assert second.select("[data-testid=waiting-next]") == []
    assert second.text("[data-testid=unassigned-count]") == total  # the figures are of the whole queue


def test_assign_an_unassigned_contact_to_an_operator_with_room(supervisor, board):
    waiting = board["waiting"]
    page = post(supervisor, f"/contacts/{waiting.id}/operator",
                {"operator_id": board["boris"].id, "source": board["telegram"].id}, htmx=True, status=200)
    assert page.one("#board")
    assert waiting.id not in unassigned_ids(page)
    assert page.flashes == [f"Contact #{waiting.id} assigned to Boris."]
    assert f"source={board['telegram'].id}" in page.one("#board")["hx-get"]  # the filters survive
    assert contact(waiting.id).operator_id == board["boris"].id


def test_operator_at_the_limit_needs_the_override(supervisor, board):
    waiting = board["waiting"]
    url = f"/contacts/{waiting.id}/operator"
    page = post(supervisor, url, {"operator_id": board["anna"].id}, htmx=True, status=422)
    assert page.response.headers["HX-Retarget"] == f"#assign-form-{waiting.id}"
    assert page.text("[data-testid=assign-error]") == (
        "Operator Anna is at limit 1/1. Give it anyway?"
    )
    assert page.one("[data-testid=assign-select] option[selected]")["value"] == str(board["anna"].id)
    assert contact(waiting.id).operator_id is None
    forced = {"operator_id": board["anna"].id, "force": "true"}
    page = post(supervisor, url, forced, htmx=True, status=422)  # over the limit: say why
    assert page.text("[data-testid=assign-reason-error]") == (
        "Say why this contact goes over the limit or to an inactive operator.")
    assert contact(waiting.id).operator_id is None
    page = post(supervisor, url, forced | {"reason": "VIP"}, htmx=True, status=200)
    assert contact(waiting.id).operator_id == board["anna"].id


def test_inactive_operator_needs_the_override(supervisor, board):
    committed(directory.set_operator_status, board["boris"].id, "inactive")
    url = f"/contacts/{board['web'].id}/operator"
    page = post(supervisor, url, {"operator_id": board["boris"].id}, status=422)
    assert page.text("[data-testid=assign-error]") == "Operator Boris is inactive. Give it anyway?"
    assert page.soup.find("html")  # without JavaScript: the whole assignment page


def test_assign_needs_an_operator(supervisor, board):
    page = post(
        supervisor, f"/contacts/{board['web'].id}/operator", {"operator_id": ""}, htmx=True, status=422
    )
    assert page.text("[data-testid=assign-error]") == "Choose an operator."


def test_assign_without_javascript_redirects_to_the_filtered_board(supervisor, board):
    response = supervisor.post(f"/contacts/{board['web'].id}/operator",
                               data={"operator_id": board["boris"].id, "source": board["widget"].id})
    assert response.headers["Location"] == f"/contacts?source={board['widget'].id}"


def test_reassign_unassign_progress_close(manager, board):
    held = board["held"]
    post(manager, f"/contacts/{held.id}/operator", {"operator_id": board["boris"].id}, htmx=True, status=200)
    assert contact(held.id).operator_id == board["boris"].id
    page = post(manager, f"/contacts/{held.id}/status", {"set_status": "in_progress"}, htmx=True, status=200)
    assert page.one(f"#contact-{held.id}")["data-status"] == "in_progress"
    assert page.flashes == [f"Contact #{held.id} is now in progress."]
    page = post(manager, f"/contacts/{held.id}/unassign", htmx=True, status=200)
    assert held.id in unassigned_ids(page)
    assert (contact(held.id).operator_id, contact(held.id).status) == (None, "new")
    post(manager, f"/contacts/{held.id}/operator", {"operator_id": board["boris"].id}, htmx=True, status=200)
    page = post(manager, f"/contacts/{held.id}/status", {"set_status": "closed"}, htmx=True, status=200)
    assert page.select(f"#contact-{held.id}") == []
    assert contact(held.id).status == "closed"


def test_refused_actions_show_their_error_and_change_nothing(manager, board):
    held = board["held"]
    post(manager, f"/contacts/{held.id}/status", {"set_status": "closed"}, htmx=True, status=200)
    page = post(manager, f"/contacts/{held.id}/status", {"set_status": "in_progress"}, htmx=True, status=422)
    assert page.flashes == ["The contact is closed; a closed contact cannot change."]
    assert page.one("#board")
    page = post(
        manager, f"/contacts/{board['web'].id}/status", {"set_status": "in_progress"}, htmx=True, status=422
    )
    assert page.flashes == ["An unassigned contact cannot be in progress; assign it first."]
    page = post(manager, f"/contacts/{held.id}/unassign", htmx=True, status=422)
    assert page.flashes == ["A closed contact cannot be reassigned."]
    page = post(manager, f"/contacts/{held.id}/status", {"set_status": "lost"}, htmx=True, status=422)
    assert page.flashes == ["Choose new, in progress or closed."]
    assert contact(held.id).status == "closed"
    post(manager, "/contacts/999/status", {"set_status": "closed"}, status=404)


def test_redistribute_says_how_many_found_an_operator(supervisor, board):
    page = post(supervisor, "/contacts/redistribute", htmx=True, status=200)
    assert page.flashes == ["0 of 2 found an operator."]
    committed(directory.replace_weights, board["widget"].id, [(board["boris"].id, 1)])
    page = post(supervisor, "/contacts/redistribute", htmx=True, status=200)
    assert page.flashes == ["1 of 2 found an operator."]
    assert unassigned_ids(page) == [board["waiting"].id]
    assert contact(board["web"].id).operator_id == board["boris"].id


def test_redistribute_keeps_to_the_filtered_source(supervisor, board):
    committed(directory.replace_weights, board["widget"].id, [(board["boris"].id, 1)])
    committed(directory.replace_weights, board["telegram"].id, [(board["boris"].id, 1)])
    page = post(supervisor, "/contacts/redistribute", {"source": board["telegram"].id}, htmx=True, status=200)
    assert page.flashes == ["1 of 1 found an operator."]
    assert "Redistribute this source now" in page.text("[data-testid=redistribute]")
    assert contact(board["web"].id).operator_id is None


def test_export_csv_streams_the_filtered_contacts(supervisor, board):
    response = supervisor.get(f"/contacts/export.csv?source={board['widget'].id}")
    assert response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="contacts.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [int(row["id"]) for row in rows] == [board["web"].id]
    assert rows[0]["source"] == "Site widget"
    assert rows[0]["message"] == "'=HYPERLINK(\"x\")"  # a formula is neutralised for spreadsheets
    exported = supervisor.get("/contacts/export.csv").get_data(as_text=True)
    everything = list(csv.DictReader(io.StringIO(exported)))
    assert len(everything) == 3
    assert {row["operator"] for row in everything} == {"Anna", ""}
