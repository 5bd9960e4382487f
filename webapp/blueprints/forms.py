"""Dashboard form input, checked by the same pydantic models the API uses (lax: form values are text).

Every form of the dashboard goes through ``parse_form``, so every text field gets
the one text check of ``api_schemas.Text`` (no NUL, valid Unicode) and an inline
message when it fails. The few forms the API has no model for are declared here.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel, ValidationError

from webapp.api_schemas import Text
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
        return {item["field"]: item["message"] for item in named}
    return {field: getattr(error, "message", str(error))}


def first_message(error: Exception) -> str:
    """The one message to show where a form has room for one (a slider, a menu)."""
    return next(iter(field_messages(error, "form").values()))


def _messages(error: ValidationError) -> dict[str, str]:
    messages: dict[str, str] = {}
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "form"
        # A validator's ValueError reads "Value error, must not ..."; show "Must not ...".
        detail = item["msg"].removeprefix("Value error, ")
        detail = detail[:1].upper() + detail[1:] + "."
        text = "This field is required." if item["type"] == "missing" else detail
        messages.setdefault(field, text)
    return messages


def int_arg(values, name: str, default: int | None = None, minimum: int = 1) -> int | None:
    """A whole number (minimum to MAX_ID) from a query string or form; ``default`` when absent or not one."""
    number = parse_int(values.get(name, ""), minimum)
    return default if number is None else number
