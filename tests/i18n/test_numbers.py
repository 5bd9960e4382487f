"""The dashboard's number filters read exactly as Babel writes them, in every language we ship.

``number`` and ``percent`` format whole numbers themselves (Babel costs about 30 µs a call and
the stats page shows thousands); this compares the two over whole numbers, halves and random
shares, so a locale whose digits are grouped differently cannot slip through.
"""

from __future__ import annotations

import random

import pytest
from babel.numbers import format_decimal
from flask_babel import force_locale

from webapp.i18n import LANGUAGES, number, percent

WHOLE = [0, 1, 7, 999, 1000, 1001, 12_345, 999_999, 1_000_000, 1_234_567_890, -1, -1234]
SHARES = [0.0, 0.4, 0.5, 1.5, 2.5, 12.5, 33.333, 49.5, 50.5, 66.6667, 99.5, 99.99, 100.0, 1234.5, -0.5, -2.5]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_numbers_read_as_babel_writes_them(app, language):
    shares = SHARES + [random.Random(15).uniform(0, 100) for _ in range(200)]
    with app.test_request_context(), force_locale(language):
        for value in WHOLE + [1.25, 1234.5678]:
            assert number(value) == format_decimal(value, locale=language), value
        for value in WHOLE + shares:
            assert percent(value) == f"{format_decimal(value, format='#,##0', locale=language)} %", value


def test_grouping_is_the_languages_own(app):
    with app.test_request_context():
        with force_locale("en"):
            assert (number(1234567), percent(1234.4)) == ("1,234,567", "1,234 %")
        with force_locale("ru"):
            assert (number(1234567), percent(1234.4)) == ("1\xa0234\xa0567", "1\xa0234 %")
