"""The board as a working queue: the open list sorted, a search over both lists, bulk actions."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.builders import committed, make_contact, make_operator, make_source
from tests.dashboard.conftest import get, post
from webapp import contacts, directory
from webapp.distribution import SYSTEM
from webapp.extensions import db
from webapp.models import Contact
from webapp.queries.operators import PAGE_SIZE


def given(contact, operator):
    committed(contacts.set_operator, contact.id, operator.id, actor=SYSTEM)
    return contact


def assigned_ids(page):
    return [int(row["data-contact-id"]) for row in page.select("[data-testid=contact-row]")]


def unassigned_ids(page):
    return [int(row["data-contact-id"]) for row in page.select("[data-testid=unassigned-row]")]


def state(contact_id):
    db.session.rollback()  # see what the requests committed
    found = db.session.get(Contact, contact_id)
    return found.operator_id, found.status


@pytest.fixture
def shift(app):
    """Three operators (names in mixed case) on two sources, two contacts each, handed out by hand."""
    vera, anna, boris = make_operator("vera", 10), make_operator("Anna", 10), make_operator("Boris", 10)
    web, tg = make_source("web chat"), make_source("Telegram")
    rows = [
        given(make_contact(source, f"lead-{n}"), operator)
        for n, (source, operator) in enumerate(
            [(web, vera), (tg, anna), (web, boris), (tg, vera), (web, anna), (tg, boris)]
        )
    ]
    return {"anna": anna, "boris": boris, "vera": vera, "web": web, "tg": tg, "rows": [c.id for c in rows]}


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("", [5, 4, 3, 2, 1, 0]),  # newest first
        ("age", [5, 4, 3, 2, 1, 0]),
        ("-age", [0, 1, 2, 3, 4, 5]),  # the longest waiting first
        ("operator", [4, 1, 5, 2, 3, 0]),  # Anna, Boris, vera (case aside); newest first within
        ("-operator", [3, 0, 5, 2, 4, 1]),
        ("source", [5, 3, 1, 4, 2, 0]),  # Telegram, web chat
        ("-source", [4, 2, 0, 5, 3, 1]),
    ],
)
def test_the_open_list_sorts_by_age_operator_and_source(supervisor, shift, sort, order):
    page = get(supervisor, f"/contacts?sort={sort}")
    assert assigned_ids(page) == [shift["rows"][i] for i in order]
    column = (sort or "age").lstrip("-")
    header = page.one(f"[data-testid=sort-{column}]").find_parent("th")
    assert header["aria-sort"] == ("descending" if sort.startswith("-") else "ascending")
    assert len(page.select("th[aria-sort]")) == 1
    if sort not in ("", "age"):  # age ascending is the default, left out of URLs
        assert f"sort={sort}" in page.one("#board")["hx-get"]  # the poll keeps the order


def test_a_sort_header_reverses_its_order_and_keeps_the_filters(supervisor, shift):
    page = get(supervisor, f"/contacts?source={shift['web'].id}&sort=operator")
    link = urlsplit(page.one("[data-testid=sort-operator]")["href"])
    assert parse_qs(link.query) == {"source": [str(shift["web"].id)], "sort": ["-operator"]}
    other = parse_qs(urlsplit(page.one("[data-testid=sort-source]")["href"]).query)
    assert other["sort"] == ["source"]
    back_to_default = parse_qs(urlsplit(page.one("[data-testid=sort-age]")["href"]).query)
    assert "sort" not in back_to_default  # age ascending is the board's own order
    # Every action form of a row carries the order, so the board answers in it.
    assert {field["value"] for field in page.select("form[data-testid=bulk-form] input[name=sort]")} == {
        "operator"
    }
    assert page.select("#board-filters input[name=sort][value=operator]")
    page = get(supervisor, "/contacts?sort=nonsense&before=zz")
    assert assigned_ids(page) == [shift["rows"][i] for i in [5, 4, 3, 2, 1, 0]]


@pytest.mark.parametrize("sort", ["age", "-age", "operator", "-operator", "-source"])
def test_pages_under_every_sort_are_the_whole_list_once(supervisor, app, sort):
    operators = [make_operator(name, 100) for name in ("Ada", "bob", "Cy")]
    sources = [make_source("one"), make_source("Two")]
    for n in range(PAGE_SIZE + 12):
        given(make_contact(sources[n % 2], f"lead-{n}"), operators[n % 3])
    exported = supervisor.get(f"/contacts/export.csv?sort={sort}").get_data(as_text=True)
    everything = [int(row["id"]) for row in csv.DictReader(io.StringIO(exported))]
    seen, url = [], f"/contacts?sort={sort}"
    while url:
        page = get(supervisor, url)
        seen += assigned_ids(page)
        nxt = page.select("[data-testid=page-next]")
        url = nxt[0]["href"] if nxt else None
        if nxt:
            assert sort == "age" or f"sort={sort}" in url
            # The last row of the page leaves the list before the next page is read: the
            # next page still starts right after it (the cursor carries its key).
            committed(contacts.set_operator, seen[-1], None, actor=SYSTEM)
    assert seen == everything  # the export's order is the board's, and the pages are all of it


def test_the_export_follows_the_sort_and_the_search(supervisor, shift):
    exported = supervisor.get("/contacts/export.csv?sort=-operator&q=lead-")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert [int(row["id"]) for row in rows] == [shift["rows"][i] for i in [3, 0, 5, 2, 4, 1]]
    exported = supervisor.get("/contacts/export.csv?q=lead-4")
    assert [int(row["id"]) for row in csv.DictReader(io.StringIO(exported.get_data(as_text=True)))] == [
        shift["rows"][4]
    ]


# --- Search --------------------------------------------------------------------------


@pytest.fixture
def people(app):
    anna = make_operator("Anna", 10)
    web = make_source("Site widget", {anna: 1})
    walk_in = make_source("Walk-in")  # nobody weighted: its contacts wait
    return {
        "anna": anna,
        "petrova": make_contact(web, "web-1", name="Анна Петрова", phone="8 (912) 345-67-89"),
        "smith": make_contact(walk_in, "walk-1", name="John Smith", email="John.Smith@Example.com"),
        "ivanov": make_contact(walk_in, "walk-2", name="ИВАН Иванов", phone="+44 20 7946 0958"),
    }


def found(client, query):
    page = get(client, "/contacts?" + query)
    return set(assigned_ids(page)) | set(unassigned_ids(page))


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("анна", "petrova"),  # Cyrillic, either case (SQLite's own lower() folds ASCII only)
        ("ПЕТРОВ", "petrova"),
        ("иван", "ivanov"),
        ("smith", "smith"),
        ("JOHN.SMITH@EXAMPLE", "smith"),
        ("john.smith@example.com", "smith"),
        ("+7 912 345-67-89", "petrova"),
        ("8 912 345 67 89", "petrova"),
        ("89123456789", "petrova"),
        ("(912) 345", "petrova"),
        ("7946 0958", "ivanov"),
        ("walk-2", "ivanov"),
    ],
)
def test_search_by_name_email_or_phone_in_any_spelling(supervisor, people, text, who):
    assert found(supervisor, urlencode({"q": text})) == {people[who].id}


SEARCHES = ["анна", "smith", "+7 912 345-67-89", "(912) 345", "7946 0958", "walk-2", "ан", "nobody"]


def test_a_search_that_finds_many_leads_finds_the_same(supervisor, people, monkeypatch):
    """The board names the leads a search finds in its statements only when they are few; past
    that it searches in each statement, and must find the same."""
    few = {text: found(supervisor, urlencode({"q": text})) for text in SEARCHES}
    monkeypatch.setattr(contacts, "FEW_LEADS", 0)
    assert {text: found(supervisor, urlencode({"q": text})) for text in SEARCHES} == few
    assert few["ан"] == {people["petrova"].id, people["ivanov"].id}


def test_search_by_contact_number_with_or_without_hash(supervisor, people):
    smith = people["smith"].id
    assert found(supervisor, f"q=%23{smith}") == {smith}
    assert smith in found(supervisor, f"q={smith}")
    assert found(supervisor, "q=%23nothing") == set()
    assert found(supervisor, "q=nobody+by+that+name") == set()
    assert found(supervisor, "q=100%25") == set()  # LIKE's wildcards are plain characters


def test_the_search_follows_a_lead_that_a_later_contact_renamed(supervisor, people):
    """The leads' search index changes with the lead, in the same statement (migration 0018)."""
    again = make_contact(people["petrova"].source, "web-1", name="Мария Петрова")
    assert found(supervisor, urlencode({"q": "мария"})) == {people["petrova"].id, again.id}
    assert found(supervisor, urlencode({"q": "анна"})) == set()


@pytest.mark.parametrize(
    "text", ['"smith', 'smith"', "smi*", "john OR smith", "NEAR(john smith)", "name: john"]
)
def test_a_search_is_plain_text_never_a_query_language(supervisor, people, text):
    assert found(supervisor, urlencode({"q": text})) == set()


def query_of(url):
    return parse_qs(urlsplit(url).query)


def test_the_search_applies_to_both_lists_and_survives_the_poll_and_actions(supervisor, people):
    page = get(supervisor, "/contacts?q=ан")  # Анна Петрова (assigned) and ИВАН Иванов (waiting)
    assert assigned_ids(page) == [people["petrova"].id]
    assert unassigned_ids(page) == [people["ivanov"].id]
    assert query_of(page.one("#board")["hx-get"])["q"] == ["ан"]
    assert page.one("[data-testid=board-search]")["value"] == "ан"
    assert query_of(page.one("[data-testid=export-csv]")["href"])["q"] == ["ан"]
    poll = get(supervisor, page.one("#board")["hx-get"], htmx=True)
    assert unassigned_ids(poll) == [people["ivanov"].id]
    after = post(
        supervisor,
        f"/contacts/{people['petrova'].id}/status",
        {"q": "ан", "set_status": "in_progress"},
        htmx=True,
        status=200,
    )
    assert assigned_ids(after) == [people["petrova"].id]
    assert unassigned_ids(after) == [people["ivanov"].id]
    assert query_of(after.one("#board")["hx-get"])["q"] == ["ан"]


# --- Bulk actions --------------------------------------------------------------------


def ticked(page, *contact_ids):
    """The values of the rows' checkboxes, as the browser sends them when ticked."""
    boxes = {
        int(box["value"].split(":")[0]): box["value"] for box in page.select("[data-testid=select-contact]")
    }
    return [boxes[contact_id] for contact_id in contact_ids]


@pytest.fixture
def queue(app):
    anna, boris = make_operator("Anna", limit=2), make_operator("Boris", limit=10)
    walk_in = make_source("Walk-in")
    waiting = [make_contact(walk_in, f"walk-{n}").id for n in range(3)]
    return {"anna": anna, "boris": boris, "walk_in": walk_in, "waiting": waiting}


def test_bulk_close_skips_a_contact_changed_meanwhile_and_says_so(manager, queue):
    first, second, third = queue["waiting"]
    board = get(manager, "/contacts")
    selection = ticked(board, first, second, third)
    committed(contacts.set_operator, second, queue["boris"].id, actor=SYSTEM)  # someone else, meanwhile
    page = post(
        manager, "/contacts/bulk", {"selected": selection, "bulk_action": "close"}, htmx=True, status=200
    )
    assert page.flashes == [f"2 closed; 1 skipped: changed by someone else (#{second})."]
    assert "already given to Boris" in page.text("[data-testid=row-note]")
    assert state(first) == (None, "closed") and state(third) == (None, "closed")
    assert state(second) == (queue["boris"].id, "new")  # not overwritten
    assert page.response.headers["HX-Trigger"]  # read out to screen readers too


def test_bulk_assign_respects_each_limit_like_the_single_action(manager, queue):
    board = get(manager, "/contacts")
    data = {
        "selected": ticked(board, *queue["waiting"]),
        "bulk_action": "assign",
        "operator_id": queue["anna"].id,
    }
    page = post(manager, "/contacts/bulk", data, htmx=True, status=200)
    last = queue["waiting"][2]
    assert page.flashes == [
        f"2 assigned to Anna; 1 skipped (#{last}): Operator Anna is at limit 2/2. Give it anyway?"
    ]
    assert [state(c)[0] for c in queue["waiting"]] == [queue["anna"].id, queue["anna"].id, None]
    assert unassigned_ids(page) == [last]


def test_a_forced_bulk_assign_needs_a_reason_and_then_goes_past_the_limit(manager, queue):
    board = get(manager, "/contacts")
    data = {
        "selected": ticked(board, *queue["waiting"]),
        "bulk_action": "assign",
        "operator_id": queue["anna"].id,
        "force": "true",
    }
    page = post(manager, "/contacts/bulk", data, htmx=True, status=422)
    assert page.flashes == ["Say why these contacts may go over the limit or to an inactive operator."]
    assert [state(c)[0] for c in queue["waiting"]] == [None, None, None]
    page = post(manager, "/contacts/bulk", data | {"reason": "Boris is ill"}, htmx=True, status=200)
    assert page.flashes == ["3 assigned to Anna."]
    assert [state(c)[0] for c in queue["waiting"]] == [queue["anna"].id] * 3


def test_bulk_unassign_and_the_drain_after_it(manager, queue):
    committed(directory.replace_weights, queue["walk_in"].id, [(queue["anna"].id, 1)])
    first, second, third = queue["waiting"]
    for contact_id in (first, second):
        committed(contacts.set_operator, contact_id, queue["anna"].id, actor=SYSTEM)
    board = get(manager, "/contacts")
    page = post(
        manager,
        "/contacts/bulk",
        {"selected": ticked(board, first), "bulk_action": "close"},
        htmx=True,
        status=200,
    )
    assert page.flashes == ["1 closed."]
    assert state(third) == (queue["anna"].id, "new")  # Anna's freed place went to the one waiting
    board = get(manager, "/contacts")
    page = post(
        manager,
        "/contacts/bulk",
        {"selected": ticked(board, second), "bulk_action": "unassign"},
        htmx=True,
        status=200,
    )
    assert page.flashes == ["1 unassigned."]


def test_bulk_without_a_selection_or_a_known_action_changes_nothing(manager, queue):
    page = post(manager, "/contacts/bulk", {"bulk_action": "close"}, htmx=True, status=422)
    assert page.flashes == ["Select at least one contact."]
    board = get(manager, "/contacts")
    page = post(
        manager,
        "/contacts/bulk",
        {"selected": ticked(board, queue["waiting"][0]), "bulk_action": "x"},
        htmx=True,
        status=422,
    )
    assert page.flashes == ["Choose assign, unassign or close."]
    page = post(
        manager,
        "/contacts/bulk",
        {"selected": ticked(board, queue["waiting"][0]), "bulk_action": "assign"},
        htmx=True,
        status=422,
    )
    assert page.flashes == ["Choose an operator."]
    page = post(
        manager,
        "/contacts/bulk",
        {"selected": ["x:y", "-3", ":"], "bulk_action": "close"},
        htmx=True,
        status=422,
    )
    assert page.flashes == ["Select at least one contact."]
    assert [state(c) for c in queue["waiting"]] == [(None, "new")] * 3


def test_bulk_without_javascript_redirects_to_the_board_it_came_from(manager, queue):
    board = get(manager, "/contacts?sort=-age")
    response = manager.post(
        "/contacts/bulk",
        data={"selected": ticked(board, queue["waiting"][0]), "bulk_action": "close", "sort": "-age"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/contacts?sort=-age"
    assert get(manager, "/contacts").flashes == ["1 closed."]


def test_every_row_has_a_box_with_its_version_and_each_list_a_select_all(manager, queue):
    board = get(manager, "/contacts")
    boxes = board.select("[data-testid=select-contact]")
    assert len(boxes) == 3
    assert all(box["form"] == "bulk-form" and box.get("aria-label") for box in boxes)
    assert all(len(box["value"].split(":")[1]) == 20 for box in boxes)
    assert len(board.select("[data-testid=select-all]")) == 1  # the open list is empty: no table
