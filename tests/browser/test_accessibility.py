"""axe-core on every dashboard page and state, in English and in Russian.

Fails on any violation of impact serious or critical and prints each rule with the elements it
found (moderate and minor findings are left to judgement). The states are the ones a person
meets: menus open, inline errors shown, a token just created, the error page, read-only views.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import axe_violations
from tests.browser.conftest import PASSWORD
from tests.builders import make_contact, make_operator, make_source, make_user

GUNICORN_WORKERS = 1
HTMX_BUSY = "form.htmx-request, .htmx-swapping, .htmx-settling"


def sign_in_by_form(page, username: str, password: str = PASSWORD) -> None:
    """The login form by its ids: its labels are in the page's language."""
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_test_id("login-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("current-user")).to_contain_text(username)


class Audit:
    """Runs axe in each state it is shown and keeps every serious or critical finding."""

    def __init__(self, page, language: str):
        self.page = page
        self.language = language
        self.findings: list[str] = []
        self.states: list[str] = []

    def check(self, state: str) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", self.language)
        # A submitting form is dimmed on purpose; judge the page once htmx has settled it.
        expect(self.page.locator(HTMX_BUSY)).to_have_count(0)
        self.states.append(state)
        self.findings += axe_violations(self.page, f"{self.language} {state}")

    def visit(self, path: str, state: str, status: int = 200) -> None:
        response = self.page.goto(path)
        assert response.status == status, f"{path}: {response.status}"
        self.check(state)


def audit_signed_out(audit: Audit) -> None:
    page = audit.page
    audit.visit("/login", "login")
    page.locator("#username").fill("sue")
    page.locator("#password").fill("not the password")
    page.get_by_test_id("login-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("login-error")).to_be_visible()
    audit.check("login with an error")


def audit_account_pages(audit: Audit) -> None:
    page = audit.page
    audit.visit("/", "overview")
    audit.visit("/stats", "stats")
    audit.visit("/settings", "settings")
    audit.visit("/account/password", "password page")
    page.get_by_test_id("password-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("error-current_password")).to_be_visible()
    audit.check("password page with errors")
    audit.visit("/nowhere", "error page", status=404)


def audit_operators(audit: Audit, anna) -> None:
    page = audit.page
    audit.visit("/operators", "operators")
    page.locator(f"#operator-{anna.id}").get_by_test_id("status-toggle").click()
    expect(page.locator(f"#operator-{anna.id}")).to_have_attribute("data-status", "inactive")
    audit.check("operators after a toggle")
    page.locator(f"#operator-{anna.id}").get_by_test_id("limit-input").fill("-1")
    page.locator(f"#operator-{anna.id}").get_by_test_id("limit-form").locator("button").click()
    expect(page.get_by_test_id("row-error")).to_be_visible()
    audit.check("operators with a limit error")
    page.locator("#new-operator-name").fill("")
    page.get_by_test_id("create-operator-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("error-name")).to_be_visible()
    audit.check("operators with a create error")
    audit.visit(f"/operators/{anna.id}", "operator page")


def audit_sources(audit: Audit, source) -> None:
    page = audit.page
    audit.visit("/sources", "sources")
    page.get_by_test_id("create-source-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("error-name")).to_be_visible()
    audit.check("sources with a create error")
    audit.visit(f"/sources/{source.id}", "source detail")
    page.locator("#token-name").fill("tg-prod")
    page.get_by_test_id("create-token-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("new-token-value")).to_be_visible()
    audit.check("source detail with a new token")
    audit.visit(f"/sources/{source.id}?all=1", "source detail, every operator")
    audit.visit(f"/sources/{source.id}/try", "try weights")
    audit.visit(f"/sources/{source.id}/try?days=0", "try weights with an error", status=422)
    audit.visit("/stats?period=range&from=2026-11-05&to=2026-11-01", "stats with a period error")


def audit_board(audit: Audit, waiting, full, lead_id: int) -> None:
    page = audit.page
    audit.visit("/contacts", "board")
    row = page.locator(f"#contact-{waiting.id}")
    row.get_by_test_id("assign-menu").locator("summary").click()
    expect(row.get_by_test_id("assign-select")).to_be_visible()
    audit.check("board with the assign menu open")
    row.get_by_test_id("assign-select").select_option(str(full.id))
    row.get_by_test_id("assign-submit").click()
    expect(row.get_by_test_id("assign-error")).to_be_visible()
    audit.check("board with an assign error")
    row.get_by_test_id("assign-override").check()
    row.get_by_test_id("assign-reason").fill("Covering for a colleague")  # giving it anyway needs one
    row.get_by_test_id("assign-submit").click()
    expect(page.get_by_test_id("flash-success")).to_be_visible()
    audit.check("board after assigning")
    audit.visit("/contacts?q=pavel&sort=-operator", "board with a search, sorted by operator")
    page.locator(f"#contact-{waiting.id}").get_by_test_id("select-contact").check()
    expect(page.get_by_test_id("bulk-count")).to_contain_text("1")
    audit.check("board with a selection")
    audit.visit(f"/contacts/{waiting.id}/assign", "assign page")
    audit.visit(f"/leads/{lead_id}", "lead card")
    audit.visit(f"/contacts/{waiting.id}", "contact page")
    audit.visit("/leads/duplicates", "duplicates")


@pytest.mark.parametrize("browser_locale", ["en-US", "ru-RU"])
def test_every_page_and_state_passes_axe(tab, browser_locale, supervisor_user, manager_user):
    anna = make_operator("Anna", limit=3)
    full = make_operator("Boris", limit=1)
    telegram = make_source("Telegram bot", weights={anna: 3, full: 1})
    make_operator("Vera")  # on no source: the detail page's "show them all"
    walk_in = make_source("Walk-in")
    make_contact(make_source("Busy", weights={full: 1}), external_id="first")  # Boris at his limit
    waiting = make_contact(walk_in, external_id="web:ab12", message="call me back", name="Pavel")
    for number in range(2):
        make_contact(telegram, external_id=f"tg:{number}", message="need a quote")
    make_user("mia", PASSWORD, "manager")
    make_user("olga", PASSWORD, "operator", anna.id)
    audit = Audit(tab, browser_locale[:2])

    audit_signed_out(audit)
    sign_in_by_form(tab, "sue")
    audit_account_pages(audit)
    audit_operators(audit, anna)
    audit_sources(audit, telegram)
    audit_board(audit, waiting, full, waiting.lead_id)
    audit.visit("/users", "users")
    tab.get_by_test_id("logout").click()
    sign_in_by_form(tab, "max")
    audit.visit("/operators", "operators, read-only")
    audit.visit(f"/sources/{telegram.id}", "source detail, read-only")
    audit.visit(f"/operators/{anna.id}", "operator page, read-only")
    tab.get_by_test_id("logout").click()
    sign_in_by_form(tab, "olga")
    audit.visit("/my/contacts", "my contacts (operator)")

    assert len(audit.states) >= 20
    assert audit.findings == [], "axe found:\n" + "\n".join(audit.findings)
