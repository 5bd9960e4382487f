"""Dashboard fixtures: signed-in supervisor and manager clients and a BeautifulSoup request helper.

The users themselves (supervisor_user, manager_user) and the app-context policy come
from tests/conftest.py. CSRF is off here (``app_config``) so tests can post plain forms;
``test_csrf.py`` switches it back on and proves the token is required and carried by htmx.
"""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from tests.conftest import PASSWORD

HTMX = {"HX-Request": "true"}


@pytest.fixture
def app_config(app_config):
    return app_config | {"WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "1000 per minute"}


def sign_in(client, username: str, password: str = PASSWORD):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.text
    with client.session_transaction() as session:
        session.pop("_flashes", None)  # tests see only the messages of their own actions
    return client


@pytest.fixture
def supervisor(app, supervisor_user):
    """A test client signed in as a supervisor."""
    return sign_in(app.test_client(), "sue")


@pytest.fixture
def manager(app, manager_user):
    """A test client signed in as a manager."""
    return sign_in(app.test_client(), "max")


class Page:
    """A response with its parsed HTML."""

    def __init__(self, response):
        self.response = response
        self.status = response.status_code
        self.soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")

    def select(self, selector):
        return self.soup.select(selector)

    def one(self, selector):
        found = self.soup.select(selector)
        assert len(found) == 1, f"{selector!r} matched {len(found)} elements"
        return found[0]

    def texts(self, selector) -> list[str]:
        return [" ".join(element.get_text(" ").split()) for element in self.soup.select(selector)]

    def text(self, selector) -> str:
        return " ".join(self.one(selector).get_text(" ").split())

    @property
    def flashes(self) -> list[str]:
        return self.texts("#flash-area .flash")


def get(client, url, *, htmx=False, status=200, **kwargs) -> Page:
    headers = kwargs.pop("headers", {}) | (HTMX if htmx else {})
    page = Page(client.get(url, headers=headers, **kwargs))
    assert page.status == status, page.response.get_data(as_text=True)[:2000]
    return page


def post(client, url, data=None, *, htmx=False, status=None, **kwargs) -> Page:
    headers = kwargs.pop("headers", {}) | (HTMX if htmx else {})
    page = Page(client.post(url, data=data or {}, headers=headers, **kwargs))
    if status is not None:
        assert page.status == status, page.response.get_data(as_text=True)[:2000]
    return page
