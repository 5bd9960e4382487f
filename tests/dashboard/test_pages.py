"""Every page and every htmx partial: content, CSRF token, partial vs full page."""

from __future__ import annotations

import pytest

from tests.builders import make_contact, make_operator, make_source
from tests.dashboard.conftest import get


@pytest.fixture
def call_centre(app):
    anna = make_operator("Anna", limit=2)
    boris = make_operator("Boris", limit=1)
    vera = make_operator("Vera", limit=5, status="inactive")
    telegram = make_source("Telegram bot", {anna: 3, boris: 1})
    widget = make_source("Site widget")  # nobody weighted: contacts wait
    contacts = [make_contact(telegram, f"tg-{n}", name=f"Customer {n}", message="hi") for n in range(2)]
    waiting = make_contact(widget, "web-1", name="Waiting Wendy", message="=cmd()")
    return {"anna": anna, "boris": boris, "vera": vera, "telegram": telegram, "widget": widget,
            "contacts": contacts, "waiting": waiting}


def assert_full_page(page):
    assert page.soup.find("html")
    assert page.one("meta[name=csrf-token]")["content"]
    assert "X-CSRFToken" in page.one("body")["hx-headers"]
    assert page.one("[data-testid=flash-area]") is not None


def assert_fragment(page):
    assert page.soup.find("html") is None
    assert page.soup.find("body") is None
    assert "HX-Request" in page.response.headers["Vary"]


def test_overview_shows_counts_loads_and_todays_sources(supervisor, call_centre):
    page = get(supervisor, "/")
    assert_full_page(page)
    assert page.text("[data-testid=tile-open] .tile-value") == "3"
    assert page.text("[data-testid=tile-unassigned] .tile-value") == "1"
    assert page.text("[data-testid=tile-operators] .tile-value") == "2 / 3"
    loads = {row.td.get_text(strip=True): row.select_one("meter")["value"]
             for row in page.select("[data-testid=load-row]")}
    assert sorted(loads) == ["Anna", "Boris", "Vera"]
    assert int(loads["Anna"]) + int(loads["Boris"]) == 2
    today = {" ".join(row.get_text(" ").split()) for row in page.select("[data-testid=source-today-row]")}
    assert today == {"Telegram bot 2", "Site widget 1"}


def test_overview_empty_states(supervisor):
    page = get(supervisor, "/")
    assert page.texts("[data-testid=empty]") == ["No operators yet. Add one .", "No sources yet."]


def test_stats_page_counts_per_source_and_operator(supervisor, call_centre):
    page = get(supervisor, "/stats")
    assert_full_page(page)
    rows = {row.th.get_text(strip=True): row.select("td")[-1].get_text(strip=True)
            for row in page.select("[data-testid=stats-source-row]")}
    assert rows == {"Telegram bot": "2", "Site widget": "1"}
    operator_rows = page.select("[data-testid=stats-operator-row]")
    received = sum(int(row.select("td")[1].get_text()) for row in operator_rows)
    assert received == 2


def test_operators_page_and_fragment_render_the_same_rows(supervisor, call_centre):
    page = get(supervisor, "/operators")
    assert_full_page(page)
    names = page.texts("[data-testid=operator-row] th")
    assert names == ["Anna", "Boris", "Vera"]
    assert page.one("[data-testid=create-operator-form]")
    fragment = get(supervisor, "/operators", htmx=True)
    assert_fragment(fragment)
    assert fragment.texts("[data-testid=operator-row] th") == names
    assert fragment.one("#operators")


def test_boosted_or_history_restore_requests_get_the_full_page(supervisor, call_centre):
    for extra in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):
        page = get(supervisor, "/operators", htmx=True, headers=extra)
        assert_full_page(page)


def test_sources_list_and_detail(supervisor, call_centre):
    page = get(supervisor, "/sources")
    assert_full_page(page)
    assert page.texts("[data-testid=source-row] th") == ["Site widget", "Telegram bot"]
    assert "none — contacts wait" in page.text(f"[data-source-id='{call_centre['widget'].id}']")
    fragment = get(supervisor, "/sources", htmx=True)
    assert_fragment(fragment)
    assert len(fragment.select("[data-testid=source-row]")) == 2

    detail = get(supervisor, f"/sources/{call_centre['telegram'].id}")
    assert_full_page(detail)
    shares = {row.th.get_text(strip=True): row.select_one("[data-testid=share]").get_text(strip=True)
              for row in detail.select("[data-testid=weight-row]")}
    assert shares == {"Anna": "75 %", "Boris": "25 %", "Vera": "—"}
    assert detail.one("[data-testid=no-tokens]")
    fragment = get(supervisor, f"/sources/{call_centre['telegram'].id}", htmx=True)
    assert_fragment(fragment)
    assert len(fragment.select("[data-testid=weight-slider]")) == 3


def test_board_page_and_poll_fragment(supervisor, call_centre):
    page = get(supervisor, "/contacts")
    assert_full_page(page)
    assert page.one("[data-testid=board-filters]")
    unassigned = page.select("[data-testid=unassigned-row]")
    assert [row["data-contact-id"] for row in unassigned] == [str(call_centre["waiting"].id)]
    assert page.text("[data-testid=unassigned-count]") == "1"
    assert len(page.select("[data-testid=contact-row]")) == 2
    board = page.one("#board")
    assert board["hx-trigger"].startswith("every ")
    poll = get(supervisor, board["hx-get"], htmx=True)
    assert_fragment(poll)
    assert poll.one("#board")
    assert len(poll.select("[data-testid=unassigned-row]")) == 1
    assert not poll.select("[data-testid=board-filters]")


def test_board_empty_state(supervisor):
    page = get(supervisor, "/contacts")
    assert page.text("[data-testid=no-unassigned]") == "No unassigned contacts."
    assert page.one("[data-testid=redistribute]").has_attr("disabled")


def test_assign_form_page_and_fragment(supervisor, call_centre):
    url = f"/contacts/{call_centre['waiting'].id}/assign"
    page = get(supervisor, url)
    assert_full_page(page)
    fragment = get(supervisor, url, htmx=True)
    assert_fragment(fragment)
    form = fragment.one("[data-testid=assign-form]")
    # Nobody is weighted on the widget: everyone is in the one group "Not on this source",
    # those who can take it first; Vera is inactive and says so.
    [group] = form.select("optgroup")
    assert group["label"] == "Not on this source"
    options = [o.get_text(" ", strip=True) for o in group.select("option")]
    # The two Telegram contacts went by the weighted pick: whoever has room comes first.
    assert options[0].startswith(("Anna", "Boris")) and "limit" not in options[0]
    assert "Vera 0/5 — inactive" in options
    assert form.select_one("[data-testid=assign-override]")


def test_lead_card_shows_identity_and_history(supervisor, call_centre):
    lead_id = call_centre["waiting"].lead_id
    make_contact(call_centre["telegram"], "web-1", email="wendy@example.com", message="again")
    page = get(supervisor, f"/leads/{lead_id}")
    assert_full_page(page)
    assert page.text("[data-testid=lead-external-id]") == "web-1"
    assert "wendy@example.com" in page.text("[data-testid=lead-card]")
    assert len(page.select("[data-testid=history-row]")) == 2
    fragment = get(supervisor, f"/leads/{lead_id}", htmx=True)
    assert_fragment(fragment)
    assert len(fragment.select("[data-testid=history-row]")) == 2


@pytest.mark.parametrize("url", ["/leads/999", "/sources/999", "/contacts/999/assign", "/nowhere"])
def test_unknown_ids_get_a_readable_404_page(supervisor, url):
    page = get(supervisor, url, status=404)
    assert page.text("[data-testid=error-message]") in (
        "There is nothing at this address.", f"{url.split('/')[1][:-1].capitalize()} 999 does not exist."
    )


def test_manager_sees_operators_and_sources_read_only(manager, call_centre):
    page = get(manager, "/operators")
    assert not page.select("[data-testid=status-toggle]")
    assert not page.select("[data-testid=create-operator-form]")
    assert page.texts("[data-testid=status-badge]") == ["active", "active", "inactive"]
    detail = get(manager, f"/sources/{call_centre['telegram'].id}")
    assert not detail.select("[data-testid=weight-slider]")
    assert not detail.select("[data-testid=tokens]")
    assert detail.texts("[data-testid=share]") == ["75 %", "25 %", "—"]
    assert get(manager, "/contacts").select("[data-testid=assign-menu]")


def test_overview_says_how_long_the_oldest_contact_has_waited(supervisor, call_centre):
    page = get(supervisor, "/")
    waited = page.one("[data-testid=tile-unassigned] .tile-note time")
    assert waited.get_text().endswith(" s") or waited.get_text().endswith(" min")
    assert waited["datetime"].startswith(call_centre["waiting"].created_at.isoformat()[:16])


def test_overview_lists_the_busiest_operators_first_even_among_many(supervisor, monkeypatch):
    idle = [make_operator(f"A idle {n}") for n in range(3)]
    busy = make_operator("Z busy", limit=5)
    source = make_source("Only Z", {busy: 1})
    make_contact(source, "z-1")
    monkeypatch.setattr("webapp.queries.operators.busiest_operators.__defaults__", (2,))
    page = get(supervisor, "/")
    rows = [row.td.get_text(strip=True) for row in page.select("[data-testid=load-row]")]
    assert rows == ["Z busy", idle[0].name]
    assert "The 2 busiest of 4." in page.text("[data-testid=load-per-operator] .muted")
