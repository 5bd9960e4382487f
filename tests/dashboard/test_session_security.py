"""Sessions: a new session at every sign-in, sign-out here or everywhere, password changes,
strong hashes, a login rate limit.

A "copy" of a cookie is what someone who read it off the wire, a shared computer or
a backup would replay: ``is_signed_in`` sends it from a fresh browser. CSRF stays on
in this module: every form is posted with the token the page gave.
"""

from __future__ import annotations

import re

import pytest

from tests.builders import make_user

PASSWORD = "correct horse battery"
NEW_PASSWORD = "battery staple horse"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app_config(app_config):
    return app_config | {"WTF_CSRF_ENABLED": True, "LOGIN_RATE_LIMIT": "50 per minute"}


@pytest.fixture
def sue(app):
    return make_user("sue", PASSWORD, "supervisor")


class Browser:
    """One browser's cookie jar (conftest's IsolatedClient: each request in its own app context)."""

    def __init__(self, app, cookie: str | None = None):
        self.app = app
        self.client = app.test_client()
        if cookie is not None:
            self.client.set_cookie("session", cookie)

    def request(self, method, url, **kwargs):
        return self.client.open(url, method=method, **kwargs)

    def csrf_token(self, url="/login") -> str:
        page = self.request("GET", url, follow_redirects=True)  # /login sends a signed-in browser on
        return CSRF_FIELD.search(page.get_data(as_text=True)).group(1)

    def sign_in(self, username="sue", password=PASSWORD):
        data = {"username": username, "password": password, "csrf_token": self.csrf_token()}
        return self.request("POST", "/login", data=data)

    def sign_out(self):
        return self.request("POST", "/logout", data={"csrf_token": self.csrf_token("/")})

    def sign_out_everywhere(self):
        return self.request("POST", "/logout/everywhere", data={"csrf_token": self.csrf_token("/")})

    def change_password(self, current=PASSWORD, new=NEW_PASSWORD, again=None):
        data = {"current_password": current, "new_password": new,
                "confirm_password": new if again is None else again,
                "csrf_token": self.csrf_token("/account/password")}
        return self.request("POST", "/account/password", data=data)

    @property
    def cookie(self) -> str | None:
        cookie = self.client.get_cookie("session")
        return cookie.value if cookie else None


def is_signed_in(app, cookie: str) -> bool:
    response = Browser(app, cookie).request("GET", "/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    return False


def test_sign_in_issues_a_new_session_cookie(app, sue):
    browser = Browser(app)
    browser.csrf_token()
    before = browser.cookie
    assert before is not None
    response = browser.sign_in()
    assert response.status_code == 302
    after = browser.cookie
    assert after != before
    assert is_signed_in(app, after)
    assert not is_signed_in(app, before)  # a cookie planted before sign-in never becomes signed in


def test_session_cookie_flags(app, sue):
    response = Browser(app).sign_in()
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie


def test_sign_out_kills_the_old_cookie(app, sue):
    browser = Browser(app)
    browser.sign_in()
    signed_in_cookie = browser.cookie
    assert is_signed_in(app, signed_in_cookie)
    response = browser.sign_out()
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert not is_signed_in(app, signed_in_cookie)  # a copy of the cookie, replayed after sign-out
    replayed = Browser(app, signed_in_cookie).request("GET", "/contacts", headers={"HX-Request": "true"})
    assert replayed.status_code == 401 and replayed.headers["HX-Redirect"].startswith("/login")


def test_signing_in_again_kills_every_copy_of_the_earlier_cookie(app, sue):
    browser = Browser(app)
    browser.sign_in()
    earlier = browser.cookie
    assert browser.sign_in().status_code == 302  # the same browser signs in once more
    assert is_signed_in(app, browser.cookie)
    assert not is_signed_in(app, earlier)


def test_signing_in_as_someone_else_ends_the_browser_s_earlier_session(app, sue):
    make_user("max", PASSWORD, "manager")
    browser = Browser(app)
    browser.sign_in("sue")
    as_sue = browser.cookie
    browser.sign_in("max")
    assert not is_signed_in(app, as_sue)
    assert is_signed_in(app, browser.cookie)


def test_a_user_may_be_signed_in_on_two_devices(app, sue):
    laptop, phone = Browser(app), Browser(app)
    laptop.sign_in()
    phone.sign_in()
    assert is_signed_in(app, laptop.cookie) and is_signed_in(app, phone.cookie)


def test_sign_out_ends_this_browser_s_session_only(app, sue):
    laptop, phone = Browser(app), Browser(app)
    laptop.sign_in()
    phone.sign_in()
    laptop_cookie = laptop.cookie
    laptop.sign_out()
    assert not is_signed_in(app, laptop_cookie)
    assert is_signed_in(app, phone.cookie)


def test_sign_out_everywhere_ends_every_session_of_the_user_and_no_one_else_s(app, sue):
    make_user("max", PASSWORD, "manager")
    laptop, phone, colleague = Browser(app), Browser(app), Browser(app)
    laptop.sign_in()
    phone.sign_in()
    colleague.sign_in("max")
    laptop_cookie = laptop.cookie
    response = laptop.sign_out_everywhere()
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "Signed out on every device." in laptop.request("GET", "/login").get_data(as_text=True)
    assert not is_signed_in(app, laptop_cookie)
    assert not is_signed_in(app, phone.cookie)
    assert is_signed_in(app, colleague.cookie)


def test_sign_out_everywhere_is_offered_and_needs_the_csrf_token(app, sue):
    browser = Browser(app)
    browser.sign_in()
    page = browser.request("GET", "/account/password").get_data(as_text=True)
    assert 'action="/logout/everywhere"' in page and 'data-testid="logout-everywhere"' in page
    response = browser.request("POST", "/logout/everywhere", data={})
    assert response.status_code != 200
    assert is_signed_in(app, browser.cookie)


def test_changing_the_password_ends_every_other_session_and_keeps_this_one(app, sue):
    laptop, phone = Browser(app), Browser(app)
    laptop.sign_in()
    phone.sign_in()
    laptop_before = laptop.cookie
    response = laptop.change_password()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = laptop.request("GET", "/").get_data(as_text=True)
    assert "Password changed. You were signed out on every other device." in page
    assert is_signed_in(app, laptop.cookie)
    assert not is_signed_in(app, laptop_before)  # the session was re-issued: no copy of it survives
    assert not is_signed_in(app, phone.cookie)
    assert Browser(app).sign_in("sue", PASSWORD).status_code == 401
    assert Browser(app).sign_in("sue", NEW_PASSWORD).status_code == 302


def test_the_password_page_is_in_the_header(app, sue):
    browser = Browser(app)
    browser.sign_in()
    page = browser.request("GET", "/").get_data(as_text=True)
    assert re.search(r'<a href="/account/password" data-testid="account-link"[^>]*>Change password</a>', page)


@pytest.mark.parametrize(
    ("current", "new", "again", "field", "message"),
    [
        ("wrong password", NEW_PASSWORD, None, "current_password", "The current password is wrong."),
        ("", NEW_PASSWORD, None, "current_password", "This field is required."),
        (PASSWORD, "short", None, "new_password", "A password is at least 8 characters."),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "confirm_password",
         "The new password and its repetition differ."),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(app, sue, current, new, again, field,
                                                                message):
    laptop, phone = Browser(app), Browser(app)
    laptop.sign_in()
    phone.sign_in()
    response = laptop.change_password(current, new, again)
    assert response.status_code == 422
    error = re.search(rf'data-testid="error-{field}"[^>]*>([^<]+)<', response.get_data(as_text=True))
    assert error and error.group(1) == message
    assert is_signed_in(app, laptop.cookie) and is_signed_in(app, phone.cookie)
    assert Browser(app).sign_in("sue", PASSWORD).status_code == 302


def test_a_password_change_needs_the_csrf_token(app, sue):
    browser = Browser(app)
    browser.sign_in()
    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    response = browser.request("POST", "/account/password", data=data)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert Browser(app).sign_in("sue", PASSWORD).status_code == 302


def test_sign_out_needs_the_csrf_token(app, sue):
    browser = Browser(app)
    browser.sign_in()
    response = browser.request("POST", "/logout", data={})
    assert response.status_code != 200
    assert is_signed_in(app, browser.cookie)


def test_password_hash_is_pbkdf2_sha256_with_enough_iterations(app, sue):
    method, salt, digest = sue.password_hash.split("$")
    name, algorithm, iterations = method.split(":")
    assert (name, algorithm) == ("pbkdf2", "sha256")
    assert int(iterations) >= 600_000
    assert len(salt) >= 16 and PASSWORD not in sue.password_hash


def test_unknown_user_and_wrong_password_look_the_same(app, sue):
    unknown = Browser(app).sign_in("nobody", PASSWORD)
    wrong = Browser(app).sign_in("sue", "not the password")
    assert unknown.status_code == wrong.status_code == 401
    message = re.compile(r'data-testid="login-error"[^>]*>([^<]+)<')
    assert message.search(unknown.get_data(as_text=True)).group(1) == message.search(
        wrong.get_data(as_text=True)
    ).group(1)


class TestLoginRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        return app_config | {"LOGIN_RATE_LIMIT": "3 per minute"}

    def test_login_rate_limit_answers_429_with_retry_after(self, app, sue):
        browser = Browser(app)
        for _ in range(3):
            assert browser.sign_in("sue", "wrong password").status_code == 401
        limited = browser.sign_in("sue", PASSWORD)  # even the right password waits
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) > 0
        assert limited.mimetype == "text/html"
        assert browser.request("GET", "/login").status_code == 200  # the form itself is not limited
        assert not is_signed_in(app, browser.cookie)

    def test_guessing_the_current_password_is_limited_too(self, app, sue):
        browser = Browser(app)
        browser.sign_in()
        for _ in range(3):
            assert browser.change_password("wrong password").status_code == 422
        assert browser.change_password().status_code == 429  # even the right one waits
        assert is_signed_in(app, browser.cookie)
