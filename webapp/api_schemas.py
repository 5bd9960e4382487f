"""Declared request and response shapes of /api/v1.

The API validates every body with these models, and the OpenAPI document is
generated from the same models, so the docs cannot drift from the code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from webapp.ids import MAX_ID


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _integer_as_text(value):
    # Bots often send numeric ids; they are stored as their decimal string.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def Text(min_length: int = 0, max_length: int | None = None):  # noqa: N802 - a type factory
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length),
        AfterValidator(_storable),
    ]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
OperatorStatus = Literal["active", "inactive"]
ContactStatus = Literal["new", "in_progress", "closed"]


class RequestModel(BaseModel):
    # strict: "5" is not 5 and true is not 1; unknown fields are ignored so that
    # bots written against a later version keep working.
    model_config = ConfigDict(strict=True, extra="ignore")


class OperatorCreate(RequestModel):
    name: Text(1, 200)
    status: OperatorStatus = "active"
    max_active_contacts: Annotated[int, Field(ge=0, le=100_000)]


class OperatorStatusUpdate(RequestModel):
    status: OperatorStatus


class OperatorUpdate(RequestModel):
    name: Text(1, 200) | None = None
    max_active_contacts: Annotated[int, Field(ge=0, le=100_000)] | None = None


class SourceCreate(RequestModel):
    name: Text(1, 200)
    description: Text(0, 4000) | None = None


class WeightItem(RequestModel):
    operator_id: Id
    weight: Annotated[int, Field(ge=0, le=1_000_000)]


class WeightsUpdate(RequestModel):
    weights: Annotated[list[WeightItem], Field(max_length=10_000)]


class ContactCreate(RequestModel):
    external_id: Annotated[
        Text(1, 255),
        BeforeValidator(_integer_as_text),
        Field(description="A string, or an integer stored as its decimal string."),
    ]
    source_id: Id | None = Field(
        None, description="Required with an admin token; a bot token's own source by default."
    )
    email: Text(1, 254) | None = None
    phone: Text(1, 50) | None = None
    name: Text(1, 200) | None = None
    message: Text(0, 4000) | None = None


class ContactStatusUpdate(RequestModel):
    status: ContactStatus


class ContactOperatorUpdate(RequestModel):
    operator_id: Id | None
    force: bool = False


class RedistributeRequest(RequestModel):
    source_id: Id | None = None


# --- Responses (documentation only; serializers build plain dicts) ----------


class OperatorOut(BaseModel):
    id: int
    name: str
    status: OperatorStatus
    max_active_contacts: int
    active_contacts: int
    created_at: datetime


class WeightOut(BaseModel):
    operator_id: int
    operator_name: str
    weight: int


class SourceOut(BaseModel):
    id: int
    name: str
    description: str | None
    weights: list[WeightOut]
    created_at: datetime


class LeadOut(BaseModel):
    id: int
    external_id: str
    email: str | None
    phone: str | None
    name: str | None
    created_at: datetime


class ContactOut(BaseModel):
    id: int
    lead: LeadOut
    source_id: int
    operator_id: int | None
    status: ContactStatus
    message: str | None
    created_at: datetime
    assigned_at: datetime | None
    closed_at: datetime | None


class LeadWithContactsOut(LeadOut):
    contacts: list[ContactOut]


class OperatorList(BaseModel):
    items: list[OperatorOut]


class SourceList(BaseModel):
    items: list[SourceOut]


class LeadList(BaseModel):
    items: list[LeadOut]


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None


class RedistributeOut(BaseModel):
    assigned: int
    unassigned: int


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


# --- Query strings (lax: every value arrives as text) ------------------------


class ContactQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: ContactStatus | None = None
    source_id: Id | None = None
    operator_id: Id | None = None
    lead_id: Id | None = None
    unassigned: bool = False
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    cursor: Annotated[str, Field(max_length=64)] | None = None


class LeadQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    external_id: Text(1, 255) | None = None
    email: Text(1, 254) | None = None
    phone: Text(1, 50) | None = None
