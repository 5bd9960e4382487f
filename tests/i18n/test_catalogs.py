"""The catalogs are complete: every string the code and templates mark is in ru and en,
translated (ru) and not fuzzy; and no template text is left unmarked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webapp" / "translations"
TEMPLATES = ROOT / "webapp" / "templates"


def extracted_ids() -> set[str]:
    """What ``make translations`` extracts (babel.cfg), in-process."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    ids = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def catalog(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def marked():
    ids = extracted_ids()
    assert len(ids) > 150, "extraction found too little; is babel.cfg right?"
    return ids


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_marked_string_is_in_the_catalog_and_not_fuzzy(marked, language):
    entries = {(m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog(language) if m.id}
    missing = sorted(marked - entries.keys())
    assert not missing, f"not in {language} catalog (run `make translations`): {missing}"
    fuzzy = sorted(key for key, entry in entries.items() if entry.fuzzy)
    assert not fuzzy, f"fuzzy in {language} catalog: {fuzzy}"


def test_every_russian_string_is_translated(marked):
    untranslated = []
    for entry in catalog("ru"):
        if not entry.id:
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings) or (isinstance(entry.id, tuple) and len(strings) != 3):
            untranslated.append(entry.id)
    assert not untranslated, f"without a Russian translation: {untranslated}"


def test_placeholders_survive_translation():
    for entry in catalog("ru"):
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        wanted = set(re.findall(r"%\((\w+)\)", ids[-1]))
        for text in entry.string if isinstance(entry.string, tuple) else (entry.string,):
            assert set(re.findall(r"%\((\w+)\)", text)) == wanted, (entry.id, text)


# --- Template text outside _() / trans -------------------------------------------

# Words a template may show untranslated: the brand, and names of things.
ALLOWED_TEXT = {"Lead Distribution CRM", "English", "Русский", "CSV"}
JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
TAG = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->|<[^>]*>", re.S | re.I)
# Attributes a person reads.
READABLE_ATTRIBUTE = re.compile(r'\b(title|placeholder|aria-label|label|alt|data-confirm)="([^"]*)"')


def bare_text(source: str) -> list[str]:
    """Alphabetic text of a template that is not produced by a Jinja expression or tag."""
    without_jinja = JINJA.sub(" ", source)
    found = [value for _name, value in READABLE_ATTRIBUTE.findall(without_jinja)]
    found += TAG.sub("\n", without_jinja).splitlines()
    words = []
    for text in found:
        text = re.sub(r"^[\W_]+|[\W_]+$", "", text)  # separators such as "·" around a name
        if re.search(r"[^\W\d_]", text) and text not in ALLOWED_TEXT:
            words.append(text)
    return words


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")),
                         ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_template_text_is_marked_for_translation(template):
    unmarked = bare_text(template.read_text())
    assert not unmarked, f"{template.name}: wrap in {{{{ _('...') }}}}: {unmarked}"


def test_the_scan_finds_unmarked_text():
    assert bare_text('<p class="x">Hello {{ name }}</p>') == ["Hello"]
    assert bare_text('<input placeholder="Your name">') == ["Your name"]
    assert bare_text("<p>{{ _('Hello') }} · {{ count }}</p>") == []


# --- Russian plural forms ----------------------------------------------------------


@pytest.mark.parametrize(("count", "expected"), [
    (1, "1 контакт сегодня"),
    (2, "2 контакта сегодня"),
    (5, "5 контактов сегодня"),
    (21, "21 контакт сегодня"),
    (11, "11 контактов сегодня"),
    (104, "104 контакта сегодня"),
])
def test_russian_plural_forms(count, expected):
    with (TRANSLATIONS / "ru" / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        ru = Translations(mo)
    text = ru.ngettext("%(num)s contact today", "%(num)s contacts today", count) % {"num": count}
    assert text == expected


@pytest.mark.parametrize(("count", "expected"), [(1, "1 час"), (2, "2 часа"), (5, "5 часов"), (21, "21 час")])
def test_russian_age_has_real_plural_forms(app, count, expected):
    from datetime import UTC, datetime, timedelta

    from flask_babel import force_locale

    from webapp.presentation import age

    now = datetime(2026, 1, 31, tzinfo=UTC)
    with app.test_request_context(), force_locale("ru"):
        assert age(now - timedelta(hours=count), now) == expected
