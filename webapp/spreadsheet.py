"""Cells for files that people open in a spreadsheet: no cell may run as a formula.

OWASP's CSV injection guidance: a spreadsheet treats a cell that starts with
``=``, ``+``, ``-`` or ``@`` (and, in some programs, ``|`` for DDE, or the
full-width forms ``＝ ＋ － ＠`` and ``｜``) as a formula, and several of them skip
leading blanks — spaces, tabs, line breaks, no-break and full-width spaces,
zero-width characters — before looking. Such a cell gets a leading apostrophe,
which makes the spreadsheet show it as text; the CSV writer then quotes it as needed.

A plain phone number (``+7 912 345-67-89``) is the one exception, kept as is so
that exports stay readable: made only of digits, spaces, ``( ) - .`` after one
leading ``+``, it names no function, cell or program, whatever a spreadsheet makes
of it.
"""

from __future__ import annotations

import re
import unicodedata

FORMULA_STARTS = frozenset("=+-@|\uff1d\uff0b\uff0d\uff20\uff5c")
# OWASP: a cell starting with a tab or a carriage return is neutralised whatever follows.
RAW_STARTS = ("\t", "\r")
PHONE_NUMBER = re.compile(r"\+?\d[\d ()\-.]{4,}")  # at least five characters after the first digit
NEUTRALISER = "'"


def cell_text(value) -> str:
    """The text a value is exported as: '' for None, ISO 8601 for dates and times."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _is_blank(character: str) -> bool:
    # Whitespace, and invisible format characters (zero-width space, BOM, ...).
    return character.isspace() or unicodedata.category(character) == "Cf"


def could_start_formula(text: str) -> bool:
    """Whether a spreadsheet might read ``text`` as a formula (a plain phone number is not)."""
    if text.startswith(RAW_STARTS):
        return True
    first = next((character for character in text if not _is_blank(character)), "")
    if first not in FORMULA_STARTS:
        return False
    return PHONE_NUMBER.fullmatch(text) is None


def safe_cell(value) -> str:
    """``value`` as spreadsheet-safe text: a cell that could start a formula gets a leading apostrophe."""
    text = cell_text(value)
    return NEUTRALISER + text if could_start_formula(text) else text
