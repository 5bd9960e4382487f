"""Language and time zone of a request, and the filters that show times and numbers in them.

The language is the signed-in user's choice (``users.locale``), else the best match
of the browser's ``Accept-Language``, else English. The time zone is the user's
(``users.timezone``), else the deployment's ``DEFAULT_TIMEZONE``. Times are stored
in UTC; only what a page shows is converted.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.numbers import get_group_symbol
from flask import current_app, has_request_context, request
from flask_babel import format_date, format_datetime, format_decimal, get_locale, get_timezone
from flask_login import current_user

from webapp.extensions import babel

# The languages with a catalog; the first is the default.
LANGUAGES = {"en": "English", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LANGUAGE
    chosen = getattr(current_user, "locale", None)
    if chosen in LANGUAGES:
        return chosen
    return browser_locale()


def browser_locale() -> str:
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT_LANGUAGE)


def select_timezone() -> str:
    chosen = getattr(current_user, "timezone", None) if has_request_context() else None
    return chosen if is_timezone(chosen) else current_app.config["DEFAULT_TIMEZONE"]


@cache
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in available_timezones() if "/" in name or name == "UTC"))


def is_timezone(name: str | None) -> bool:
    return bool(name) and name in timezone_names()


def user_zone() -> ZoneInfo:
    """The time zone of this request as a zoneinfo object (for day boundaries)."""
    return ZoneInfo(get_timezone().zone)


def localtime(moment: datetime | None, format: str = "medium") -> str:
    """A stored (UTC) moment in the user's time zone and language; "" for none."""
    if moment is None:
        return ""
    return format_datetime(moment, format)


def localday(day: date, format: str = "d MMM") -> str:
    return format_date(day, format)


def number(value) -> str:
    if type(value) is int and (text := _grouped(value)) is not None:
        return text
    return format_decimal(value)


def percent(value) -> str:
    """A share already in percent (0-100), whole: "38 %"."""
    text = None
    if isinstance(value, (int, float)) and math.isfinite(value) and value >= 0:
        text = _grouped(round(value))  # half to even, as Babel rounds
    return f"{text or format_decimal(value, format='#,##0')} %"


# Babel's formatter costs about 30 µs a number, and the stats page shows thousands of them.
# A whole, non-negative number in a locale grouped in threes reads the same from Python's own
# formatting with the locale's separator (tests/i18n/test_numbers.py compares the two).
def _grouped(value: int) -> str | None:
    separator = _group_separator(get_locale())
    if separator is None or value < 0:
        return None
    return f"{value:,}".replace(",", separator)


@cache
def _group_separator(locale: Locale) -> str | None:
    """The locale's group separator if its decimal numbers are grouped in threes, else None."""
    if locale.decimal_formats[None].pattern != "#,##0.###":
        return None
    return get_group_symbol(locale)


def init_i18n(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["DEFAULT_TIMEZONE"]
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters.update(localtime=localtime, localday=localday, number=number, percent=percent)
    app.jinja_env.globals.update(languages=LANGUAGES, get_locale=get_locale, get_timezone=get_timezone)
