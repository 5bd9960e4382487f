"""The board's poll: 304 Not Modified after at most two statements when nothing on the board
changed; the new board at the first poll after any change (blueprints/board_poll.py).

Runs on both backends (LEADCRM_TEST_BACKEND=postgresql for PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from tests.builders import committed, make_contact, make_operator, make_source
from tests.conftest import BACKEND, bot_api
from tests.dashboard.conftest import HTMX, Page, get, post
from tests.dashboard.test_query_counts import counting_statements
from webapp import directory, schedules, users
from webapp.blueprints import board_poll
from webapp.clock import replaying_at, utcnow
from webapp.extensions import db
from webapp.models import Contact, Source

AN_HOUR_AGO = timedelta(hours=1)


@pytest.fixture
def board(app):
    """Contacts an hour old (ages in whole hours: the board stays fresh for a minute)."""
    with replaying_at(utcnow() - AN_HOUR_AGO):
        anna = make_operator("Anna", limit=1)
        boris = make_operator("Boris", limit=5)
        telegram = make_source("Telegram bot", {anna: 1})
        # No drain: a contact unassigned stays in the queue, where the test looks for it.
        committed(directory.update_source, telegram.id, {"auto_drain": False})
        held = make_contact(telegram, "tg-1", name="Held Harry")  # Anna takes it and is then full
        waiting = make_contact(telegram, "tg-2", name="Waiting Wanda")  # nobody left
    return {"anna": anna, "boris": boris, "telegram": telegram, "held": held, "waiting": waiting}


def first_poll(client, url="/contacts"):
    """The board as the browser has it: its poll URL and the ETag of what it shows."""
    page = get(client, url)
    board = page.one("#board")
    assert page.response.headers["ETag"] == board["data-etag"]
    return board["hx-get"], board["data-etag"]


def poll(client, url, etag, **headers):
    return client.get(url, headers=HTMX | {"If-None-Match": etag} | headers)


def test_an_unchanged_board_answers_304_after_two_statements(supervisor, board):
    url, etag = first_poll(supervisor)
    with counting_statements(db.engine) as statements:
        response = poll(supervisor, url, etag)
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag
    # The user's session and the change check; SQLite's recipe also sends its BEGIN (psycopg's
    # BEGIN does not pass through the cursor).
    queries = [statement for statement in statements if statement != "BEGIN"]
    assert len(queries) <= 2, statements
    # Still 304 at the next poll, and a poll without the tag gets the whole board.
    assert poll(supervisor, url, etag).status_code == 304
    with counting_statements(db.engine) as full:
        fresh = get(supervisor, url, htmx=True)
    assert fresh.select("[data-testid=unassigned-row]")
    print(f"\n[board poll] statements: 304 poll {len(statements)}, full poll {len(full)} (BEGIN included)")


def _new_contact_via_the_api(client, board):
    response = bot_api(client, board["telegram"].id).post("/api/v1/contacts/", json={"external_id": "tg-3"})
    assert response.status_code == 201, response.text


def _assign(client, board):
    post(client, f"/contacts/{board['waiting'].id}/operator", {"operator_id": board["boris"].id}, htmx=True,
         status=200)


def _unassign(client, board):
    post(client, f"/contacts/{board['held'].id}/unassign", htmx=True, status=200)


def _in_progress(client, board):
    post(client, f"/contacts/{board['held'].id}/status", {"set_status": "in_progress"}, htmx=True, status=200)


def _close(client, board):
    post(client, f"/contacts/{board['held'].id}/status", {"set_status": "closed"}, htmx=True, status=200)


def _rename_operator(_client, board):
    committed(directory.update_operator, board["anna"].id, name="Anastasia")


def _rename_source(_client, board):
    committed(directory.update_source, board["telegram"].id, {"name": "Telegram channel"})


def _switch_operator_off(_client, board):
    committed(directory.set_operator_status, board["boris"].id, "inactive")


def _absence(_client, board):
    committed(schedules.add_absence, board["boris"].id, utcnow() - timedelta(hours=1),
              utcnow() + timedelta(days=1), None)


def _wait_target(_client, board):
    committed(directory.update_source, board["telegram"].id, {"wait_target_minutes": 30})


def _russian(_client, _board):
    committed(users.set_preferences, users.get_user_by_name(db.session, "sue").id, locale="ru")


# What the board shows after each change: a CSS selector and the text (or None: gone) it has.
CHANGES = {
    "new contact via the API": (_new_contact_via_the_api, "[data-testid=show-new]", "1 new — show"),
    "assign": (_assign, "#contact-{waiting} td:nth-of-type(5)", "Boris"),
    "unassign": (_unassign, "[data-testid=unassigned-row]#contact-{held} td:nth-of-type(2)", "#{held}"),
    "status in progress": (_in_progress, "#contact-{held} [data-testid=status]", "in progress"),
    "close": (_close, "#contact-{held}", None),
    "operator renamed": (_rename_operator, "#contact-{held} td:nth-of-type(5)", "Anastasia"),
    "source renamed": (_rename_source, "#contact-{held} td:nth-of-type(3)", "Telegram channel"),
    "operator switched off": (_switch_operator_off, "#bulk-operator",
                              "Choose… Boris 0/5 — inactive Anna 1/1 — at limit"),
    "absence": (_absence, "#bulk-operator", "Choose… Boris 0/5 — at limit Anna 1/1 — at limit"),
    "wait target": (_wait_target, "#contact-{waiting} [data-testid=overdue]", "overdue"),
    "language": (_russian, "#unassigned-title", "Без оператора 1"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_after_a_change_the_same_tag_gets_the_new_board(supervisor, board, change):
    make_change, selector, expected = CHANGES[change]
    url, etag = first_poll(supervisor)
    assert poll(supervisor, url, etag).status_code == 304
    make_change(supervisor, board)
    page = Page(poll(supervisor, url, etag))
    assert page.status == 200
    selector = selector.format(waiting=board["waiting"].id, held=board["held"].id)
    found = page.texts(selector)
    assert found == ([expected.format(held=board["held"].id)] if expected else [])
    new_etag = page.one("#board")["data-etag"]
    assert new_etag != etag and poll(supervisor, url, new_etag).status_code == 304


def test_another_filter_or_user_never_gets_304_for_a_tag_of_another_board(supervisor, manager, board):
    url, etag = first_poll(supervisor)
    assert poll(supervisor, url + "&status=new", etag).status_code == 200
    assert poll(supervisor, f"/contacts?source={board['telegram'].id}", etag).status_code == 200
    assert poll(manager, url, etag).status_code == 200


def test_a_garbled_tag_gets_the_board(supervisor, board):
    url, etag = first_poll(supervisor)
    stamp, mark, signature = etag[3:-1].split("~")
    for tag in ("*", "garbage", 'W/"1~2~3"', f'W/"{stamp}~{mark}9~{signature}"', f'{etag}, W/"1~2~3"',
                f'W/"{stamp}~{mark}~{"0" * len(signature)}"', "x" * 5000):
        assert poll(supervisor, url, tag).status_code == 200, tag


def test_a_full_page_ignores_the_tag(supervisor, board):
    url, etag = first_poll(supervisor)
    response = supervisor.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and b"<html" in response.get_data()


def test_a_pending_message_is_not_held_back_by_a_304(supervisor, board):
    url, etag = first_poll(supervisor)
    with supervisor.session_transaction() as session:
        session["_flashes"] = [("success", "Saved elsewhere.")]
    response = poll(supervisor, url, etag)
    assert response.status_code == 200 and "Saved elsewhere." in response.get_data(as_text=True)


def test_the_board_is_drawn_again_within_a_minute_without_any_change(supervisor, board):
    url, etag = first_poll(supervisor)
    with replaying_at(utcnow() + timedelta(seconds=50)):
        assert poll(supervisor, url, etag).status_code == 304
    with replaying_at(utcnow() + board_poll.REDRAW_AFTER + timedelta(seconds=1)):
        assert poll(supervisor, url, etag).status_code == 200


def test_a_contact_under_a_minute_old_is_drawn_again_at_every_poll(supervisor, board):
    make_contact(board["telegram"], "tg-new")  # "5 s" goes on counting
    url, etag = first_poll(supervisor)
    assert poll(supervisor, url, etag).status_code == 200


def _contact(created_ago: timedelta, now, target: int | None = None, operator_id=None, status="new"):
    return Contact(id=1, created_at=now - created_ago, operator_id=operator_id, status=status,
                   source=Source(name="S", wait_target_minutes=target))


def _fresh_until(now, rows=(), deadlines=None, oldest=None):
    return board_poll.fresh_until({"now": now, "unassigned": list(rows), "assigned": [],
                                   "response_deadlines": deadlines or {}, "oldest_waiting": oldest})


def test_fresh_until_the_first_highlight_or_text_that_moves_by_itself():
    now = utcnow()
    hour = timedelta(hours=1)
    assert _fresh_until(now) == now + board_poll.REDRAW_AFTER
    # Becomes overdue in 20 s; one already overdue or not waiting moves nothing.
    assert _fresh_until(now, [_contact(timedelta(minutes=10) - timedelta(seconds=20), now, target=10)]) == (
        now + timedelta(seconds=20))
    assert _fresh_until(now, [_contact(hour, now, target=10)]) == now + board_poll.REDRAW_AFTER
    assert _fresh_until(now, [_contact(timedelta(minutes=9), now, target=10, operator_id=3,
                                       status="in_progress")]) == now + board_poll.REDRAW_AFTER
    # A response deadline passing ("timed out"), and one under a minute away (counted in seconds).
    assert _fresh_until(now, deadlines={1: now + timedelta(seconds=45)}) == now
    assert _fresh_until(now, deadlines={1: now + timedelta(minutes=5)}) == now + board_poll.REDRAW_AFTER
    assert _fresh_until(now, deadlines={1: now + timedelta(seconds=90)}) == now + board_poll.REDRAW_AFTER
    assert _fresh_until(now, deadlines={1: now + timedelta(seconds=30)}) == now
    # Ages in seconds.
    assert _fresh_until(now, [_contact(timedelta(seconds=30), now)]) == now
    assert _fresh_until(now, oldest=now - timedelta(seconds=59)) == now
    assert _fresh_until(now, oldest=now - hour) == now + board_poll.REDRAW_AFTER


@pytest.fixture
def raw_engine(database_url):
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def test_a_change_committed_after_the_board_was_read_arrives_at_the_next_poll(supervisor, board, raw_engine):
    """A writer that was in flight while the board was drawn: its commit makes the next poll draw it."""
    held = board["held"].id
    writer = raw_engine.connect()
    try:
        writer.execute(text("UPDATE contacts SET status = 'in_progress' WHERE id = :id"), {"id": held})
        url, etag = first_poll(supervisor)
        assert poll(supervisor, url, etag).status_code == 304
        writer.commit()
    finally:
        writer.close()
    page = Page(poll(supervisor, url, etag))
    assert page.status == 200
    assert page.one(f"#contact-{held}")["data-status"] == "in_progress"


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite serialises writers: no commit order to invert")
def test_postgresql_an_older_writer_committing_after_a_newer_one_is_not_missed(supervisor, board, raw_engine):
    """Transaction A changes a contact first and commits last; B changes another and commits first.

    A counter taken at change time would give A the lower number, and max() would never see it."""
    older, newer = raw_engine.connect(), raw_engine.connect()
    waiting = board["waiting"].id
    try:
        older.execute(text("UPDATE contacts SET status = 'in_progress' WHERE id = :id"),
                      {"id": board["held"].id})
        newer.execute(text("UPDATE contacts SET message = 'call me' WHERE id = :id"), {"id": waiting})
        newer.commit()
        url, etag = first_poll(supervisor)
        assert "call me" in get(supervisor, url, htmx=True).text(f"#contact-{waiting}")
        assert poll(supervisor, url, etag).status_code == 304
        older.commit()
    finally:
        older.close()
        newer.close()
    assert poll(supervisor, url, etag).status_code == 200


def test_the_triggers_exist_at_head(app):
    """Every database the app runs on is made by the migrations: the triggers come with them."""
    if BACKEND == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE tgname LIKE '%change_seq%'"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%change_seq%'"
    names = set(db.session.execute(text(query)).scalars())
    assert {name.split("_change_seq")[0] for name in names} == {"contacts", "operators", "sources",
                                                                 "operator_absences"}
