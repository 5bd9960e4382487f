"""Names unique regardless of case, renaming and deactivating operators and sources, token
prefixes, the weights page's "share now", and the overview's reasons why contacts wait."""

from __future__ import annotations

from tests.builders import committed, make_contact, make_operator, make_source, make_token
from tests.dashboard.conftest import get, post
from webapp import directory
from webapp.extensions import db
from webapp.models import Contact, Operator, Source


def fresh(model, row_id):
    db.session.rollback()  # end the test's read transaction: see what requests committed
    return db.session.get(model, row_id)


# --- Operators -------------------------------------------------------------------------


def test_an_operator_name_in_other_case_is_refused_inline(supervisor, app):
    make_operator("Anna")
    page = post(supervisor, "/operators", {"name": "ANNA", "max_active_contacts": "3"}, status=422)
    assert "ANNA" in page.text("[data-testid=error-name]")
    assert db.session.query(Operator).count() == 1


def test_operator_rows_link_to_the_operator_page_with_the_full_name_on_hover(supervisor, app):
    anna = make_operator("Anna Maria Konstantinopolskaya-Rimskaya")
    link = get(supervisor, "/operators").one("[data-testid=operator-link]")
    assert link["href"] == f"/operators/{anna.id}"
    assert link["title"] == "Anna Maria Konstantinopolskaya-Rimskaya"
    page = get(supervisor, link["href"])
    assert page.text("[data-testid=operator-name]") == "Anna Maria Konstantinopolskaya-Rimskaya"


def test_a_supervisor_renames_an_operator_and_a_clash_in_other_case_is_refused(supervisor, app):
    anna = make_operator("Anna")
    make_operator("Boris")
    page = post(supervisor, f"/operators/{anna.id}/name", {"name": "boris"}, status=422)
    assert "boris" in page.text("[data-testid=error-name]")
    assert page.one("#operator-name")["value"] == "boris"  # what was typed is kept
    assert fresh(Operator, anna.id).name == "Anna"

    response = supervisor.post(f"/operators/{anna.id}/name", data={"name": "Anna K."})
    assert response.status_code == 302
    page = get(supervisor, f"/operators/{anna.id}")
    assert page.text("[data-testid=operator-name]") == "Anna K."
    assert "Renamed to “Anna K.”." in page.flashes


def test_a_manager_sees_the_operator_page_without_forms(manager, app):
    anna = make_operator("Anna")
    page = get(manager, f"/operators/{anna.id}")
    assert page.select("[data-testid=rename-form]") == []
    assert page.select("[data-testid=detail-status-toggle]") == []
    assert manager.post(f"/operators/{anna.id}/name", data={"name": "X"}).status_code == 403


def test_switching_off_an_operator_with_open_contacts_offers_to_hand_them_to_others(supervisor, app):
    anna = make_operator("Anna", limit=5)
    boris = make_operator("Boris", limit=5, status="inactive")
    source = make_source("Telegram", {anna: 1, boris: 1})
    held = [make_contact(source).id for _ in range(3)]
    assert {fresh(Contact, cid).operator_id for cid in held} == {anna.id}
    committed(directory.set_operator_status, boris.id, "active")

    page = post(supervisor, f"/operators/{anna.id}/status", {"status": "inactive"}, htmx=True, status=200)
    assert any("still holds 3 open contacts" in text for text in page.flashes)
    assert page.text("[data-testid=hand-over]") == "Hand 3 to others"

    page = post(supervisor, f"/operators/{anna.id}/hand-over", htmx=True, status=200)
    assert "3 contacts handed to others." in page.flashes
    assert page.select("[data-testid=hand-over]") == []
    assert {fresh(Contact, cid).operator_id for cid in held} == {boris.id}


def test_a_hand_over_with_nobody_free_keeps_the_contacts_and_says_so(supervisor, app):
    anna = make_operator("Anna", limit=5)
    boris = make_operator("Boris", limit=1)
    source = make_source("Telegram", {anna: 1})
    held = [make_contact(source).id for _ in range(2)]
    committed(directory.replace_weights, source.id, [(anna.id, 1), (boris.id, 1)])
    committed(directory.set_operator_status, anna.id, "inactive")

    supervisor.post(f"/operators/{anna.id}/hand-over", data={"back": "detail"})
    page = get(supervisor, f"/operators/{anna.id}")
    assert "1 contact handed to others." in page.flashes
    assert "1 stays: nobody on its source can take it now." in page.flashes
    assert sorted(fresh(Contact, cid).operator_id for cid in held) == sorted([anna.id, boris.id])


# --- Sources -------------------------------------------------------------------------


def test_a_supervisor_renames_a_source_and_a_clash_in_other_case_is_refused(supervisor, app):
    telegram = make_source("Telegram")
    make_source("Site")
    page = post(supervisor, f"/sources/{telegram.id}/name", {"name": "SITE"}, status=422)
    assert "SITE" in page.text("[data-testid=error-source_name]")
    assert supervisor.post(f"/sources/{telegram.id}/name", data={"name": "Telegram bot"}).status_code == 302
    assert fresh(Source, telegram.id).name == "Telegram bot"


def test_a_deactivated_source_is_listed_apart_and_its_bots_are_still_served(supervisor, client, app):
    archived = make_source("Old widget")
    make_source("Telegram")
    token = make_token("widget", source_id=archived.id)[1]
    assert supervisor.post(f"/sources/{archived.id}/active", data={"active": "false"}).status_code == 302

    page = get(supervisor, "/sources")
    rows = page.select("[data-testid=source-row]")
    assert [row["data-source-id"] for row in rows][-1] == str(archived.id)  # last
    assert rows[-1].select("[data-testid=source-inactive]")
    response = client.post("/api/v1/contacts/", json={"external_id": "x1"},
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201

    supervisor.post(f"/sources/{archived.id}/active", data={"active": "true"})
    assert fresh(Source, archived.id).active is True


def test_tokens_of_one_name_are_told_apart_by_their_prefix(supervisor, app):
    source = make_source("Telegram")
    first = make_token("tg-prod", source_id=source.id)[1]
    second = make_token("tg-prod", source_id=source.id)[1]
    page = get(supervisor, f"/sources/{source.id}")
    prefixes = page.texts("[data-testid=token-prefix]")
    assert prefixes == [second[:11] + "…", first[:11] + "…"]  # newest first
    assert prefixes[0] != prefixes[1]


# --- Weights: the share now, by the pick's own rule ------------------------------------


def test_the_weights_page_shows_the_share_by_weight_and_the_share_now(supervisor, app):
    anna = make_operator("Anna", limit=1)
    boris = make_operator("Boris", limit=5)
    vera = make_operator("Vera", limit=5, status="inactive")
    source = make_source("Telegram", {anna: 1, boris: 1, vera: 2})
    make_contact(source, external_id="a")  # one of Anna or Boris; fill Anna up to be sure
    committed(directory.set_operator_status, boris.id, "inactive")
    make_contact(source, external_id="b")
    committed(directory.set_operator_status, boris.id, "active")
    db.session.rollback()
    assert fresh(Operator, anna.id) is not None

    page = get(supervisor, f"/sources/{source.id}")
    by_weight = {row["data-operator-id"]: row.select_one("[data-testid=share]").get_text(strip=True)
                 for row in page.select("[data-testid=weight-row]")}
    now = {row["data-operator-id"]: row.select_one("[data-testid=share-now]").get_text(strip=True)
           for row in page.select("[data-testid=weight-row]")}
    assert by_weight == {str(anna.id): "25 %", str(boris.id): "25 %", str(vera.id): "50 %"}
    assert now == {str(anna.id): "0 %", str(boris.id): "100 %", str(vera.id): "0 %"}
    assert page.one("[data-testid=no-weights]").has_attr("hidden")


def test_a_saved_weight_says_saved(supervisor, app):
    anna = make_operator("Anna")
    source = make_source("Telegram", {anna: 1})
    url = f"/sources/{source.id}/weights/{anna.id}"
    page = post(supervisor, url, {"weight": "25"}, htmx=True, status=200)
    assert "Saved: Anna, weight 25." in page.text("[data-testid=weight-saved]")
    slider = get(supervisor, f"/sources/{source.id}").one("[data-testid=weight-slider]")
    assert slider["max"] == "25" and slider["value"] == "25"


def test_nobody_weighted_is_said_on_the_weights_page(supervisor, app):
    make_operator("Anna")
    source = make_source("Telegram")
    page = get(supervisor, f"/sources/{source.id}")
    assert not page.one("[data-testid=no-weights]").has_attr("hidden")


# --- Overview: why contacts wait -----------------------------------------------------


def reasons(page) -> dict[str, tuple[str, str]]:
    return {
        row["data-source-id"]: (row.select_one("[data-testid=wait-reason]").get_text(strip=True),
                                row.select_one("[data-testid=wait-reason]")["href"])
        for row in page.select("[data-testid=waiting-row]")
    }


def test_the_overview_says_why_each_sources_contacts_wait_and_links_to_the_fix(supervisor, app):
    anna = make_operator("Anna", limit=1)
    boris = make_operator("Boris", limit=1)
    vera = make_operator("Vera", status="inactive")
    gleb = make_operator("Gleb", status="inactive")
    busy = make_source("Busy", {anna: 1, boris: 1})
    for number in range(3):
        make_contact(busy, external_id=f"busy-{number}")  # two assigned, one waits
    off = make_source("Off", {vera: 1, gleb: 1})
    make_contact(off)
    lonely = make_source("Lonely")
    make_contact(lonely)
    make_contact(lonely)

    page = get(supervisor, "/")
    assert reasons(page) == {
        str(busy.id): ("All 2 at their limit", "/operators/"),
        str(off.id): ("All 2 inactive", "/operators/"),
        str(lonely.id): ("No operator is weighted on this source", f"/sources/{lonely.id}?all=1"),
    }
    assert page.soup.title.get_text().startswith("(4) Overview")
    assert page.one("#overview")["data-unassigned"] == "4"


def test_the_overview_poll_answers_its_block_with_the_title_and_links_operators(supervisor, app):
    anna = make_operator("Anna")
    page = get(supervisor, "/", htmx=True)
    assert page.soup.find("html") is None
    region = page.one("#overview")
    assert region["hx-trigger"].startswith("every ")
    assert region["data-title"].startswith("Overview")
    assert page.one("[data-testid=operator-link]")["href"] == f"/operators/{anna.id}"
    assert page.select("[data-testid=waiting-by-source]") == []
