"""Dashboard form input, checked by the same pydantic models the API uses (lax: form values are text)."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import BaseModel, ValidationError


class FormErrors(Exception):
    """The form did not validate; ``errors`` maps a field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid form")
        self.errors = errors


def parse_form(model: type[BaseModel], values: dict):
    """``model`` built from form values; blank values count as missing. Raises FormErrors."""
    data = {key: value.strip() for key, value in values.items() if isinstance(value, str) and value.strip()}
    try:
        return model.model_validate(data, strict=False)
    except ValidationError as error:
        raise FormErrors(_messages(error)) from None


def field_messages(error: Exception, field: str) -> dict[str, str]:
    """Inline messages for a failed form: its own per field, or a refusal of the domain shown at ``field``."""
    if isinstance(error, FormErrors):
        return error.errors
    return {field: domain_message(error)}


def first_message(error: Exception) -> str:
    """The one message to show for a failed form or a refusal of the domain."""
    if isinstance(error, FormErrors):
        return next(iter(error.errors.values()))
    return domain_message(error)


def _messages(error: ValidationError) -> dict[str, str]:
    messages: dict[str, str] = {}
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "form"
        messages.setdefault(field, validation_message(item))
    return messages


# The pydantic error types a dashboard form can show, in the request's language. The
# English text is pydantic's own; a type not listed here keeps pydantic's English message.
def _plural(singular: str, plural: str, key: str):
    return lambda ctx: ngettext(singular, plural, ctx[key])


VALIDATION_MESSAGES = {
    "missing": lambda ctx: _("This field is required."),
    "string_too_short": _plural("String should have at least %(num)s character.",
                                "String should have at least %(num)s characters.", "min_length"),
    "string_too_long": _plural("String should have at most %(num)s character.",
                               "String should have at most %(num)s characters.", "max_length"),
    "int_parsing": lambda ctx: _("Input should be a valid integer, unable to parse string as an integer."),
    "int_type": lambda ctx: _("Input should be a valid integer."),
    "int_from_float": lambda ctx: _("Input should be a valid integer, got a number with a fractional part."),
    "greater_than_equal": lambda ctx: _("Input should be greater than or equal to %(ge)s.", ge=ctx["ge"]),
    "less_than_equal": lambda ctx: _("Input should be less than or equal to %(le)s.", le=ctx["le"]),
    "greater_than": lambda ctx: _("Input should be greater than %(gt)s.", gt=ctx["gt"]),
    "literal_error": lambda ctx: _("Input should be %(expected)s.", expected=ctx["expected"]),
}


def validation_message(item: dict) -> str:
    """One pydantic error as a sentence in the request's language."""
    message = VALIDATION_MESSAGES.get(item["type"])
    if message is not None:
        try:
            return message(item.get("ctx") or {})
        except KeyError:
            pass
    return item["msg"] + "."


# Refusals of the domain the dashboard shows inline or in a flash. The domain speaks
# English (the API's language); its sentences are recognised here and said in the
# request's language. An unknown sentence is shown as the domain wrote it.
DOMAIN_MESSAGES = [
    (re.compile(r"An operator named '(?P<name>.*)' already exists\.", re.S),
     lambda m: _("An operator named '%(name)s' already exists.", name=m["name"])),
    (re.compile(r"A source named '(?P<name>.*)' already exists\.", re.S),
     lambda m: _("A source named '%(name)s' already exists.", name=m["name"])),
    (re.compile(r"Operator (?P<name>.*) is inactive; use force to override\.", re.S),
     lambda m: _("Operator %(name)s is inactive; use force to override.", name=m["name"])),
    (re.compile(r"Operator (?P<name>.*) is at their limit \((?P<load>\d+)/(?P<limit>\d+)\); "
                r"use force to override\.", re.S),
     lambda m: _("Operator %(name)s is at their limit (%(load)s/%(limit)s); use force to override.",
                 name=m["name"], load=m["load"], limit=m["limit"])),
    (re.compile(r"A closed contact cannot be reassigned\."),
     lambda m: _("A closed contact cannot be reassigned.")),
    (re.compile(r"The contact is closed; a closed contact cannot change\."),
     lambda m: _("The contact is closed; a closed contact cannot change.")),
    (re.compile(r"An unassigned contact cannot be in progress; assign it first\."),
     lambda m: _("An unassigned contact cannot be in progress; assign it first.")),
    (re.compile(r"Operator (?P<id>\d+) does not exist\."),
     lambda m: _("Operator %(id)s does not exist.", id=m["id"])),
]


def domain_message(error: Exception) -> str:
    """The message of a refusal of the domain, in the request's language."""
    text = getattr(error, "message", None) or str(error)
    for pattern, translate in DOMAIN_MESSAGES:
        match = pattern.fullmatch(str(text))
        if match:
            return translate(match)
    return text


def int_arg(values, name: str, default: int | None = None, minimum: int = 1) -> int | None:
    """A positive integer from the query string, or ``default`` when absent or not a number."""
    raw = values.get(name, "")
    if not raw.isdigit() or len(raw) > 9 or int(raw) < minimum:
        return default
    return int(raw)
