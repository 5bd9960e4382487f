"""Dashboard form input, checked by the same pydantic models the API uses (lax: form values are text).

Every form of the dashboard goes through ``parse_form``, so every text field gets
the one text check of ``api_schemas.Text`` (no NUL, valid Unicode) and an inline
message when it fails. The few forms the API has no model for are declared here.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from flask_babel import gettext as _
from flask_babel import ngettext
from pydantic import BaseModel, ValidationError

from webapp.api_schemas import Integer, Text
from webapp.ids import parse_int


class FormErrors(Exception):
    """The form did not validate; ``errors`` maps a field to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid form")
        self.errors = errors


class LoginForm(BaseModel):
    username: Text(1, 80)
    password: Text(1)


class PasswordChangeForm(BaseModel):
    current_password: Text(1)
    new_password: Text(1)
    confirm_password: Text(1)


class TokenForm(BaseModel):
    name: Text(1, 200)


class SourceRoutingForm(BaseModel):
    """The routing settings of a source page's form: a box left unticked is false, an empty
    number is 0 (sticky_days) or "none" (the limit, the wait target)."""

    paused: bool = False
    auto_drain: bool = False
    sticky_days: Integer(0, 365) = 0
    intake_per_minute: Integer(1, 100_000) | None = None
    wait_target_minutes: Integer(1, 10_080) | None = None
    response_timeout_minutes: Integer(1, 1440) | None = None


PASSWORD_FIELDS = ("password", "current_password", "new_password", "confirm_password")


def parse_form(model: type[BaseModel], values, verbatim: Collection[str] = PASSWORD_FIELDS):
    """``model`` built from form values; blank values count as missing. Raises FormErrors.

    Values are stripped, except the fields named in ``verbatim`` (passwords: every
    character counts, as it does at sign-in).
    """
    data = {}
    for key, value in values.items():
        if isinstance(value, str):
            text = value if key in verbatim else value.strip()
            if text:
                data[key] = text
    try:
        return model.model_validate(data, strict=False)
    except ValidationError as error:
        raise FormErrors(_messages(error)) from None


def field_messages(error: Exception, field: str) -> dict[str, str]:
    """Inline messages for a failed form: its own per field, or a refusal of the domain shown at
    the fields it names (``errors``), else at ``field``."""
    if isinstance(error, FormErrors):
        return error.errors
    named = getattr(error, "errors", None)
    if named and all("field" in item for item in named):
        return {item["field"]: domain_message(item["message"]) for item in named}
    return {field: domain_message(error)}


def first_message(error: Exception) -> str:
    """The one message to show where a form has room for one (a slider, a menu)."""
    return next(iter(field_messages(error, "form").values()))


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


# What our own validators (api_schemas) raise, as the dashboard says it.
VALUE_ERRORS = {
    "must not contain NUL characters": lambda: _("Must not contain NUL characters."),
    "must be valid Unicode text": lambda: _("Must be valid Unicode text."),
}


def validation_message(item: dict) -> str:
    """One pydantic error as a sentence in the request's language."""
    if item["type"] == "value_error":
        # A validator's ValueError reads "Value error, must not ..."; show "Must not ...".
        detail = item["msg"].removeprefix("Value error, ")
        known = VALUE_ERRORS.get(detail)
        return known() if known else detail[:1].upper() + detail[1:] + "."
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
     lambda m: _("Operator %(name)s is inactive. Give it anyway?", name=m["name"])),
    (re.compile(r"Operator (?P<name>.*) is at their limit \((?P<load>\d+)/(?P<limit>\d+)\); "
                r"use force to override\.", re.S),
     lambda m: _("Operator %(name)s is at limit %(load)s/%(limit)s. Give it anyway?",
                 name=m["name"], load=m["load"], limit=m["limit"])),
    (re.compile(r"A closed contact cannot be reassigned\."),
     lambda m: _("A closed contact cannot be reassigned.")),
    (re.compile(r"The contact is closed; a closed contact cannot change\."),
     lambda m: _("The contact is closed; a closed contact cannot change.")),
    (re.compile(r"An unassigned contact cannot be in progress; assign it first\."),
     lambda m: _("An unassigned contact cannot be in progress; assign it first.")),
    (re.compile(r"Operator (?P<id>\d+) does not exist\."),
     lambda m: _("Operator %(id)s does not exist.", id=m["id"])),
    (re.compile(r"A lead cannot be merged into itself\."),
     lambda m: _("A lead cannot be merged into itself.")),
    (re.compile(r"Lead (?P<id>\d+) does not exist\."),
     lambda m: _("Lead %(id)s does not exist.", id=m["id"])),
    (re.compile(r"User '(?P<name>.*)' already exists\.", re.S),
     lambda m: _("User '%(name)s' already exists.", name=m["name"])),
    (re.compile(r"An operator user needs the operator they are\."),
     lambda m: _("An operator user needs the operator they are.")),
    (re.compile(r"A username is 1 to 80 characters\."),
     lambda m: _("A username is 1 to 80 characters.")),
    (re.compile(r"A note is 1 to (?P<length>\d+) characters\."),
     lambda m: _("A note is 1 to %(length)s characters.", length=m["length"])),
    (re.compile(r"The current password is wrong\."),
     lambda m: _("The current password is wrong.")),
    (re.compile(r"A password is at least (?P<length>\d+) characters\."),
     lambda m: _("A password is at least %(length)s characters.", length=m["length"])),
    (re.compile(r"Weight plan (?P<id>\d+) of this source overlaps that period; cancel it first\."),
     lambda m: _("Another weight plan of this source overlaps that period; cancel it first.")),
    (re.compile(r"Weight plan (?P<id>\d+) is already (?P<status>\w+)\."),
     lambda m: _("That weight plan is already over.")),
]


def domain_message(error: Exception | str) -> str:
    """The message of a refusal of the domain, in the request's language."""
    text = error if isinstance(error, str) else getattr(error, "message", None) or str(error)
    for pattern, translate in DOMAIN_MESSAGES:
        match = pattern.fullmatch(str(text))
        if match:
            return translate(match)
    return text


def int_arg(values, name: str, default: int | None = None, minimum: int = 1) -> int | None:
    """A whole number (minimum to MAX_ID) from a query string or form; ``default`` when absent or not one."""
    number = parse_int(values.get(name, ""), minimum)
    return default if number is None else number
