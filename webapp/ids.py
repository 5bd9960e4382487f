"""Ids and other whole numbers written in URLs, query strings and forms: one parser for all.

``str.isdigit()`` and werkzeug's ``\\d`` also accept Unicode digits ("²", which ``int()``
refuses; "٣", which it reads as 3), and ``int()`` reads numbers that no column holds
(SQLite raises OverflowError on them). Here only ASCII digits within a range make a number.
"""

from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

# The id columns are PostgreSQL's integer (SQLite's is wider): a larger id names no row.
MAX_ID = 2**31 - 1

# More digits than any bound here; int() of a longer text is only slower to refuse.
MAX_DIGITS = 20


def parse_int(text: str, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    """The number ``text`` writes in ASCII digits, if it lies in [minimum, maximum]; else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS:
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


class IdConverter(IntegerConverter):
    """``<int:...>`` in a route: an id from 1 to MAX_ID, else a 404.

    The app registers it as the ``int`` converter, so an id out of the columns' range is
    refused by the router, before any view or database sees it, on the dashboard and the API.
    """

    regex = r"[0-9]+"

    def __init__(self, map, min=1, max=MAX_ID):
        super().__init__(map, min=min, max=max)

    def to_python(self, value: str) -> int:
        number = parse_int(value, self.min, self.max)
        if number is None:
            # Not werkzeug's ValidationError: that answers 405 when the same path takes
            # another method. A number out of range names no row, whatever the method.
            raise NotFound("No row has this id.")
        return number
