"""Signing in through the real form."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, screenshot


def test_wrong_password_shows_an_inline_error_then_the_right_one_signs_in(tab, supervisor_user):
    tab.goto("/contacts")  # not signed in: sent to the form, which remembers where we were going
    expect(tab).to_have_url(re.compile(r"/login\?next=(/|%2F)contacts$"))
    tab.get_by_label("Username").fill("sue")
    tab.get_by_label("Password").fill("not the password")
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_test_id("login-error")).to_have_text("Unknown username or wrong password.")
    expect(tab.get_by_label("Username")).to_have_value("sue")
    screenshot(tab, "login-error")

    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    expect(tab.get_by_test_id("current-user")).to_contain_text("sue")
    expect(tab.get_by_test_id("current-user")).to_contain_text("supervisor")
    expect(tab).to_have_url(re.compile(r"/contacts$"))
    expect(tab.get_by_test_id("flash-success")).to_contain_text("Signed in as sue")

    tab.get_by_test_id("logout").click()
    expect(tab.get_by_role("button", name="Sign in")).to_be_visible()
    tab.goto("/")
    expect(tab.get_by_role("button", name="Sign in")).to_be_visible()  # the session is gone
