"""Dashboard form input, checked by the same pydantic models the API uses (lax: form values are text)."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from webapp.ids import parse_int


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
    return {field: getattr(error, "message", str(error))}


def first_message(error: Exception) -> str:
    """The one message to show for a failed form or a refusal of the domain."""
    if isinstance(error, FormErrors):
        return next(iter(error.errors.values()))
    return getattr(error, "message", str(error))


def _messages(error: ValidationError) -> dict[str, str]:
    messages: dict[str, str] = {}
    for item in error.errors(include_url=False):
        field = str(item["loc"][0]) if item["loc"] else "form"
        text = "This field is required." if item["type"] == "missing" else item["msg"] + "."
        messages.setdefault(field, text)
    return messages


def int_arg(values, name: str, default: int | None = None, minimum: int = 1) -> int | None:
    """A whole number (minimum to MAX_ID) from a query string or form; ``default`` when absent or not one."""
    number = parse_int(values.get(name, ""), minimum)
    return default if number is None else number
