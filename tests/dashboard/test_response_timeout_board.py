"""Response timeouts in the dashboard: the setting on the source page, the time left on the board."""

from __future__ import annotations

from datetime import timedelta

from tests.builders import committed, make_contact, make_operator, make_source
from tests.dashboard.conftest import get, post
from webapp import contacts, directory, distribution
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import Contact, Source

ALL_ON = {"auto_drain": "true", "sticky_days": "0"}


def assigned_minutes_ago(contact_id, minutes):
    with write_transaction(db.session):
        db.session.get(Contact, contact_id).assigned_at -= timedelta(minutes=minutes)


def time_left(page) -> dict[int, str]:
    return {int(row["data-contact-id"]): " ".join(cell.get_text(" ", strip=True).split())
            for row in page.select("[data-testid=contact-row]")
            for cell in row.select("[data-testid=time-to-answer]")}


def test_the_board_shows_how_long_each_automatic_new_contact_has_left(supervisor):
    anna, boris = make_operator("Anna"), make_operator("Boris")
    timed, untimed = make_source("Timed", {anna: 1}), make_source("Untimed", {anna: 1})
    committed(directory.update_source, timed.id, {"response_timeout_minutes": 10})
    fresh, late, taken = (make_contact(timed).id for _ in range(3))
    by_hand = make_contact(timed).id
    committed(distribution.assign_manually, db.session.get(Contact, by_hand), boris.id,
              actor=distribution.SYSTEM)
    committed(contacts.change_status, taken, "in_progress")
    elsewhere = make_contact(untimed).id
    assigned_minutes_ago(fresh, 4)
    assigned_minutes_ago(late, 11)
    shown = time_left(get(supervisor, "/contacts"))
    assert set(shown) == {fresh, late}  # not the manual, the taken, nor the untimed one
    assert elsewhere not in shown
    assert shown[fresh] == "5 min left to answer"
    assert shown[late] == "timed out, back to the pool at the next tick"


def test_the_timeout_saves_from_the_source_page_and_a_bad_one_is_explained(supervisor):
    source = make_source("Bot")
    post(supervisor, f"/sources/{source.id}/routing", ALL_ON | {"response_timeout_minutes": "15"}, status=302)
    db.session.rollback()
    assert db.session.get(Source, source.id).response_timeout_minutes == 15
    page = post(supervisor, f"/sources/{source.id}/routing", ALL_ON | {"response_timeout_minutes": "0"},
                htmx=True, status=422)
    assert page.select("[data-testid=error-response_timeout_minutes]")
    db.session.rollback()
    assert db.session.get(Source, source.id).response_timeout_minutes == 15
    form = get(supervisor, f"/sources/{source.id}").one("[data-testid=routing-form]")
    assert form.select_one("input[name=response_timeout_minutes]")["value"] == "15"
