"""Wait targets in the dashboard: overdue contacts highlighted on the board, counted per source on
the overview (a card that polls itself)."""

from __future__ import annotations

from datetime import timedelta

from tests.builders import committed, make_contact, make_operator, make_source
from tests.dashboard.conftest import get
from webapp import directory
from webapp.database import write_transaction
from webapp.extensions import db
from webapp.models import Contact


def created_minutes_ago(contact_id, minutes):
    with write_transaction(db.session):
        db.session.get(Contact, contact_id).created_at -= timedelta(minutes=minutes)


def overdue_world():
    anna = make_operator("Anna", limit=1)
    source = make_source("Bot", weights={anna: 1})
    committed(directory.update_source, source.id, {"wait_target_minutes": 10})
    held_new, waiting_old, waiting_fresh = (make_contact(source).id for _ in range(3))
    for contact_id in (held_new, waiting_old):
        created_minutes_ago(contact_id, 11)
    return source, held_new, waiting_old, waiting_fresh


def test_the_board_marks_overdue_contacts(supervisor):
    _source, held_new, waiting_old, waiting_fresh = overdue_world()
    page = get(supervisor, "/contacts")
    marked = {int(row["data-contact-id"]) for row in page.select("tr.is-overdue")}
    badged = {int(row["data-contact-id"]) for row in page.select("tr[data-contact-id]")
              if row.select("[data-testid=overdue]")}
    assert marked == badged == {held_new, waiting_old}
    assert waiting_fresh not in marked


def test_the_overview_counts_overdue_per_source_and_polls(supervisor):
    source, *_ = overdue_world()
    make_source("No target")
    page = get(supervisor, "/")
    card = page.one("[data-testid=waiting-targets]")
    overview = page.one("[data-testid=overview]")  # the card lives in the overview, which polls
    assert card in overview.descendants and "every" in overview["hx-trigger"]
    (row,) = card.select("[data-testid=waiting-target-row]")
    overdue = row.select_one("[data-testid=overdue-count]").get_text(strip=True)
    assert (int(row["data-source-id"]), overdue) == (source.id, "2")
    polled = get(supervisor, "/", htmx=True)
    assert polled.one("[data-testid=overdue-count]").get_text(strip=True) == "2"
    assert polled.soup.find("html") is None  # the polled block, not the page
