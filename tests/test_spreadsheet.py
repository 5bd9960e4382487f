"""webapp.spreadsheet.safe_cell: no exported cell can start a formula (OWASP's CSV injection guidance)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webapp.spreadsheet import safe_cell

# Each would run as a formula (or DDE call) in at least one spreadsheet program.
FORMULAS = {
    "equals": "=HYPERLINK(\"http://evil.example\",\"click\")",
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(A1:A9)",
    "tab": "\t=1+1",
    "carriage return": "\r=1+1",
    "tab before text": "\tplain",
    "leading spaces": "   =1+1",
    "leading newline": "\n=1+1",
    "newline and spaces": " \n  +1+1",
    "no-break space": "\u00a0=1+1",
    "ideographic space": "\u3000=1+1",
    "zero-width space": "\u200b=1+1",
    "byte order mark": "\ufeff@SUM(A1)",
    "pipe": "|calc",
    "pipe after spaces": "  |calc",
    "full-width equals": "\uff1d1+1",
    "full-width plus": "\uff0b1+1",
    "full-width minus": "\uff0d1",
    "full-width at": "\uff20SUM(A1)",
    "full-width pipe": "\uff5ccalc",
    "phone-like with a formula": "+7 912 345-67-89+cmd|' /C calc'!A0",
    "phone-like with letters": "+7 912 SUM(A1)",
    "short sum": "+1-2",
    "negative number": "-12345678",
}


@pytest.mark.parametrize("text", FORMULAS.values(), ids=FORMULAS.keys())
def test_a_cell_that_could_start_a_formula_is_neutralised(text):
    assert safe_cell(text) == "'" + text


PLAIN = {
    "name": "Ivan Petrov",
    "empty": "",
    "blank": "   ",
    "formula later on": "Call me = soon",
    "text after a newline": "first line\n=second line",
    "email": "ivan@example.com",
    "phone": "+7 912 345-67-89",
    "phone with brackets": "+7 (912) 345-67-89",
    "phone with dots": "+44 20.7946.0018",
    "phone without plus": "8 912 345 67 89",
}


@pytest.mark.parametrize("text", PLAIN.values(), ids=PLAIN.keys())
def test_plain_text_and_phone_numbers_are_kept_as_they_are(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (42, "42"),
        (-5, "'-5"),
        (datetime(2026, 12, 3, 9, 30, tzinfo=UTC), "2026-12-03T09:30:00+00:00"),
    ],
)
def test_values_become_text_first(value, text):
    assert safe_cell(value) == text
