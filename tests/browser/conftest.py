"""Real Chromium (Debian's, through Playwright) against a real gunicorn on 127.0.0.1.

The data is prepared on the same database with the app's own domain functions (the
``app`` fixture's context) before or while the server runs; the browser only sees
what a user would. Every browser context records CSP violations and uncaught
JavaScript errors, and a test fails at teardown if there were any.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.builders import make_token
from tests.conftest import PASSWORD
from tests.servers import gunicorn_server
from webapp.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Longer than the board's poll interval (3 s) with room for a slow machine.
POLL_TIMEOUT_MS = 10_000
expect.set_options(timeout=POLL_TIMEOUT_MS)

# Reports each violation both to the page (window.__csp) and to the test (__reportCsp).
CSP_PROBE = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  const text = e.violatedDirective + ' ' + e.blockedURI;
  window.__csp.push(text);
  const target = e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 160) : String(e.target);
  const where = location.pathname + ' ' + (e.sourceFile || '') + ':' + e.lineNumber + ' ' + target;
  if (window.__reportCsp) window.__reportCsp(text + ' at ' + where);
});
"""
# Chromium logs every 4xx/5xx response as a console error; the tests provoke some on purpose.
EXPECTED_CONSOLE = re.compile(
    r"Failed to load resource: the server responded with a status of (401|403|409|422) "
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def driver():
    """One Playwright driver for the run (a second one in the same thread is refused)."""
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(driver):
    browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def live_server(request, app, database_url):
    """A gunicorn on this test's database; a module sets GUNICORN_WORKERS for more than one worker.

    One worker starts in a third of the time of two on this 2-core machine; the live board's
    modules use two, so polls and actions (and the session cookie) cross processes.
    """
    db.session.remove()  # the test's own session holds no transaction while the server works
    env = {"SECRET_KEY": "browser-test-secret", "LOGIN_RATE_LIMIT": "100 per minute"}
    workers = getattr(request.module, "GUNICORN_WORKERS", 1)
    with gunicorn_server(database_url, workers=workers, env=env) as (base_url, _process):
        yield base_url


class Recorder:
    """What went wrong in the browser: CSP violations, console errors, uncaught exceptions."""

    def __init__(self):
        self.csp: list[str] = []
        self.console: list[str] = []
        self.page_errors: list[str] = []

    def watch(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))

    def _console(self, message) -> None:
        if message.type == "error" and not EXPECTED_CONSOLE.search(message.text):
            self.console.append(f"{message.text} ({message.location.get('url', '')})")


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def browser_locale():
    """The browser's language (its Accept-Language); a test parametrizes it to run in Russian."""
    return "en-US"


@pytest.fixture
def browser_context(chromium, live_server, recorder, browser_locale):
    """A fresh Chromium context on the live server (named apart from pytest-playwright's fixtures)."""
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900},
                                   locale=browser_locale)
    context.set_default_timeout(POLL_TIMEOUT_MS)
    context.expose_function("__reportCsp", lambda text: recorder.csp.append(text))
    context.add_init_script(CSP_PROBE)
    context.on("page", recorder.watch)
    yield context
    context.close()
    assert recorder.csp == [], f"CSP violations: {recorder.csp}"
    assert recorder.page_errors == [], f"uncaught errors: {recorder.page_errors}"


@pytest.fixture
def tab(browser_context):
    """A page of the browser context."""
    return browser_context.new_page()


@pytest.fixture
def api(driver, live_server, app):
    """Playwright's HTTP client with an admin token, for setup and for reading the truth back."""
    token = make_token("browser-admin", is_admin=True)[1]
    db.session.remove()
    request_context = driver.request.new_context(
        base_url=live_server, extra_http_headers={"Authorization": f"Bearer {token}"}
    )
    yield request_context
    request_context.dispose()


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_contain_text(username)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret leaves style="" on every input, which htmx's settle step
    # then copies with setAttribute - a style-src-attr violation that no user would cause.
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, caret="initial")
