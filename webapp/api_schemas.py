"""Declared request and response shapes of /api/v1.

The API validates every body with these models, and the OpenAPI document is
generated from the same models, so the docs cannot drift from the code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from webapp.contacts import decode_cursor
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


def _whole_float_as_int(value):
    # JSON Schema counts 211.0 as an integer, and some encoders write whole numbers so.
    # Anything else (a fraction, a bool, a numeric string) is left for the strict int
    # check to refuse.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _integer_as_text(value):
    # Bots often send numeric ids; they are stored as their decimal string.
    value = _whole_float_as_int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _without_default(schema: dict) -> None:
    # For a field whose default depends on the caller, "default": null would be a lie.
    schema.pop("default", None)


# Documents what _storable refuses (as a pattern, not enforced twice): a NUL anywhere.
NO_NUL_PATTERN = r"^[^\x00]*$"


def Text(min_length: int = 0, max_length: int | None = None):  # noqa: N802 - a type factory
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": NO_NUL_PATTERN}),
        AfterValidator(_storable),
    ]


def Integer(minimum: int, maximum: int):  # noqa: N802 - a type factory
    """A JSON integer in [minimum, maximum]; whole floats such as 211.0 count."""
    # Field first: constraints after a validator would be documented as "ge"/"le", not JSON Schema.
    return Annotated[int, Field(ge=minimum, le=maximum), BeforeValidator(_whole_float_as_int)]


Id = Integer(1, MAX_ID)
MAX_CONTACT_LIMIT = 100_000
ContactLimit = Integer(0, MAX_CONTACT_LIMIT)
OperatorStatus = Literal["active", "inactive"]
ContactStatus = Literal["new", "in_progress", "closed"]


PHONE_DESCRIPTION = (
    "Stored in E.164 (+79123456789), parsed with the deployment's PHONE_REGION (default RU) when "
    "it has no +country code. One that cannot be parsed, or cannot be a number of that country, is a 422 "
    "naming phone."
)
EMAIL_DESCRIPTION = "Stored and matched lowercased."


class RequestModel(BaseModel):
    # strict: "5" is not 5 and true is not 1 (211.0 is 211: see Integer); unknown fields are ignored so that
    # bots written against a later version keep working.
    model_config = ConfigDict(strict=True, extra="ignore")


class OperatorCreate(RequestModel):
    name: Text(1, 200)
    status: OperatorStatus = "active"
    max_active_contacts: ContactLimit


class OperatorStatusUpdate(RequestModel):
    status: OperatorStatus


def _known_zone(name: str) -> str:
    from webapp.schedules import zone_or_none

    if zone_or_none(name) is None:
        raise ValueError("not an IANA time zone (e.g. Europe/Moscow)")
    return name


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _timestamp_text(value):
    # JSON has no timestamp type: only the string form is one (a number is not seconds).
    if not isinstance(value, str):
        raise ValueError("a timestamp is an ISO 8601 string")
    return value


# An ISO 8601 timestamp string; one without an offset is UTC.
Timestamp = Annotated[
    datetime, Field(strict=False), BeforeValidator(_timestamp_text), AfterValidator(_as_utc)
]


class Shift(RequestModel):
    day: Integer(0, 6) = Field(description="Monday 0 ... Sunday 6: the day the shift starts.")
    start: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, local time.")]
    end: Annotated[str, Field(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$",
                              description="HH:MM; not after start: the next day (a night shift).")]

    @model_validator(mode="after")
    def _not_empty(self):
        if self.start == self.end:
            raise ValueError("a shift ends at another time than it starts")
        return self


class Schedule(RequestModel):
    timezone: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_known_zone)]
    weekly: Annotated[list[Shift], Field(max_length=100)]


class OperatorUpdate(RequestModel):
    name: Text(1, 200) | None = None
    max_active_contacts: ContactLimit | None = None
    schedule: Schedule | None = Field(
        None, description="Weekly hours in an IANA time zone; null: always on shift. Absent keeps it."
    )


class AbsenceCreate(RequestModel):
    start: Timestamp
    end: Timestamp
    note: Text(0, 500) | None = None


class SourceCreate(RequestModel):
    name: Text(1, 200)
    description: Text(0, 4000) | None = None


def _absent(description: str):
    # Absent leaves the setting as it is; null is refused (the type is not nullable).
    return Field(None, description=description, json_schema_extra=_without_default)


class SourceUpdate(RequestModel):
    # Unknown fields are refused here (422), unlike elsewhere: a setting this version does
    # not know would otherwise look saved to the caller while nothing changed.
    model_config = ConfigDict(strict=True, extra="forbid")

    name: Text(1, 200) = Field(None, description="The new name; absent keeps it (null is refused).")
    description: Text(0, 4000) | None = None
    paused: bool = _absent("Store contacts but distribute none; false again drains them.")
    auto_drain: bool = _absent("Hand capacity that frees up to this source's waiting contacts.")
    sticky_days: Integer(0, 365) = _absent("A returning lead goes to its recent operator (0 = off).")
    intake_per_minute: Integer(1, 100_000) | None = Field(
        None, description="Contacts accepted per 60 s; past it 429 (null = unlimited)."
    )
    wait_target_minutes: Integer(1, 10_080) | None = Field(
        None, description="How long a contact may wait before it counts as overdue (null = off)."
    )
    response_timeout_minutes: Integer(1, 1440) | None = Field(
        None, description="An automatic assignment still new this long goes back to the pool (null = off)."
    )
    webhook_url: Text(1, 2000) | None = Field(
        None, description="Where the contact events of this source are POSTed, signed (null = off). "
        "http or https; the source needs a secret first (POST .../webhook-secret).",
    )


class WeightItem(RequestModel):
    operator_id: Id
    weight: Integer(0, 1_000_000)


class WeightsUpdate(RequestModel):
    weights: Annotated[list[WeightItem], Field(max_length=10_000)]


def _utc_in_range(value: datetime) -> datetime:
    # A time without an offset is UTC; far-off years would overflow the period arithmetic.
    value = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not 1970 <= value.year <= 9000:
        raise ValueError("must be between the years 1970 and 9000")
    return value.astimezone(UTC)


def _iso_time(value) -> datetime:
    # Only ISO 8601 text: pydantic's lax parsing would also take numbers as Unix times.
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date and time")
    try:
        return datetime.fromisoformat(value.strip().upper())  # RFC 3339 allows a lowercase t and z
    except ValueError:
        raise ValueError("must be an ISO 8601 date and time") from None


# JSON has no time type: ISO 8601 text; without an offset it is UTC.
Timestamp = Annotated[
    datetime,
    BeforeValidator(_iso_time),
    AfterValidator(_utc_in_range),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class SimulationRequest(RequestModel):
    weights: Annotated[list[WeightItem], Field(max_length=10_000)]
    limits: dict[Annotated[str, Field(pattern=r"^[1-9][0-9]{0,9}$")], ContactLimit] = Field(
        default_factory=dict,
        description="max_active_contacts per operator id for the replay; absent ones keep their own.",
    )
    days: Integer(1, 90) = 7


class WeightPlanCreate(RequestModel):
    weights: Annotated[list[WeightItem], Field(min_length=1, max_length=10_000)]
    start: Timestamp
    end: Timestamp | None = Field(None, description="null: the weights stay (nothing is reverted).")


class ContactCreate(RequestModel):
    external_id: Annotated[
        Text(1, 255),
        BeforeValidator(_integer_as_text),
        WithJsonSchema(
            {
                "anyOf": [
                    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": NO_NUL_PATTERN},
                    {"type": "integer"},
                ],
                "description": "A string, or an integer stored as its decimal string (1 to 255 characters).",
            }
        ),
    ]
    # Not nullable and not in "required": an admin token must send it (else 422), a
    # source token may leave it out. JSON Schema cannot tie a field to the token, so
    # the description says it.
    source_id: Id = Field(
        None,
        description=(
            "Required with an admin token (422 without it). A source token may leave it out: "
            "its own source is used; any other source is a 403."
        ),
        json_schema_extra=_without_default,
    )
    email: Text(1, 254) | None = Field(None, description=EMAIL_DESCRIPTION)
    phone: Text(1, 50) | None = Field(None, description=PHONE_DESCRIPTION)
    name: Text(1, 200) | None = None
    message: Text(0, 4000) | None = None


class ContactStatusUpdate(RequestModel):
    status: ContactStatus


class ContactOperatorUpdate(RequestModel):
    operator_id: Id | None
    force: bool = False
    # Why; stored on the assignment record (the dashboard asks for it when forcing).
    reason: Text(1, 500) | None = None


class RedistributeRequest(RequestModel):
    source_id: Id | None = None


class WebhookSecretRequest(RequestModel):
    """No fields: the body is ``{}``."""


class LeadMergeRequest(RequestModel):
    # The lead merged away into the one in the path (not itself; an unknown one is a 422).
    lead_id: Id


# --- Responses (documentation only; serializers build plain dicts) ----------


class OperatorOut(BaseModel):
    id: int
    name: str
    status: OperatorStatus
    max_active_contacts: int
    active_contacts: int
    created_at: datetime
    schedule: Schedule | None
    available: bool = Field(description="Active, on shift now and not absent.")


class AbsenceOut(BaseModel):
    id: int
    operator_id: int
    start: datetime
    end: datetime
    note: str | None


class AbsenceList(BaseModel):
    items: list[AbsenceOut]


class WeightOut(BaseModel):
    operator_id: int
    operator_name: str
    weight: int


class WaitingOut(BaseModel):
    count: int
    oldest_seconds: int | None
    overdue: int


class SourceOut(BaseModel):
    id: int
    name: str
    description: str | None
    weights: list[WeightOut]
    created_at: datetime
    paused: bool
    auto_drain: bool
    sticky_days: int
    intake_per_minute: int | None
    wait_target_minutes: int | None
    response_timeout_minutes: int | None
    webhook_url: str | None
    waiting: WaitingOut


class WebhookSecretOut(BaseModel):
    secret: str = Field(description="The new signing secret (whsec_...), shown this once.")


class DeliveryOut(BaseModel):
    event_id: str
    type: str
    attempts: int
    last_status: int | None
    delivered_at: datetime | None
    next_attempt_at: datetime | None


class DeliveryList(BaseModel):
    items: list[DeliveryOut]


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


class DuplicateGroupOut(BaseModel):
    leads: list[LeadOut]
    matched_on: Literal["phone", "email"]


class DuplicateList(BaseModel):
    items: list[DuplicateGroupOut]


class ContactPage(BaseModel):
    items: list[ContactOut]
    next_cursor: str | None


class RedistributeOut(BaseModel):
    assigned: int
    unassigned: int


class StatsOperatorOut(BaseModel):
    operator_id: int
    name: str
    assigned: int = Field(description="Weighted automatic picks in the period that chose this operator.")
    expected: float = Field(description="Sum over the period's weighted picks of this operator's chance.")
    actual_share: float
    target_share: float
    flag: bool = Field(description="assigned differs from expected by more than chance explains (p < 0.001).")


class StatsSourceOut(BaseModel):
    source_id: int
    name: str
    contacts: int
    picks: int = Field(description="Weighted automatic picks in the period.")
    waited_seconds_p50: int | None
    waited_seconds_p90: int | None
    operators: list[StatsOperatorOut]


class StatsOut(BaseModel):
    from_: datetime = Field(alias="from")
    to: datetime
    sources: list[StatsSourceOut]


class SimulatedOperatorOut(BaseModel):
    operator_id: int
    share: float
    peak_load: int


class SimulationOutcomeOut(BaseModel):
    operators: list[SimulatedOperatorOut]
    waited: int


class SimulationOut(BaseModel):
    contacts: int
    operators: list[SimulatedOperatorOut]
    waited: int = Field(description="Contacts that found nobody eligible on arrival and waited.")
    actual: SimulationOutcomeOut = Field(description="What really happened to the same contacts.")


class WeightPlanWeightOut(BaseModel):
    operator_id: int
    weight: int


class WeightPlanOut(BaseModel):
    id: int
    source_id: int
    weights: list[WeightPlanWeightOut]
    start: datetime
    end: datetime | None
    status: Literal["scheduled", "active", "done", "cancelled", "missed"]
    applied_at: datetime | None
    reverted_at: datetime | None
    created_at: datetime


class WeightPlanList(BaseModel):
    items: list[WeightPlanOut]


class AssignmentActor(BaseModel):
    kind: Literal["user", "token", "system"]
    name: str


class AssignmentCandidate(BaseModel):
    operator_id: int
    weight: int
    load: int
    limit: int
    eligible: bool
    excluded_because: Literal["inactive", "at_limit", "off_shift", "absent", "timed_out"] | None


class AssignmentDraw(BaseModel):
    point: int
    total: int


class AssignmentOut(BaseModel):
    id: int
    contact_id: int
    at: datetime
    trigger: Literal["intake", "manual", "drain", "sweep", "redistribute", "timeout", "unassign", "merge"]
    rule: Literal["weighted", "sticky", "manual", "none"]
    actor: AssignmentActor
    from_operator_id: int | None
    operator_id: int | None
    forced: bool
    reason: str | None
    candidates: list[AssignmentCandidate]
    draw: AssignmentDraw | None


class AssignmentList(BaseModel):
    items: list[AssignmentOut]


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


def _cursor_pattern() -> str:
    """The shape of contacts.encode_cursor's cursors: unpadded urlsafe base64 of "c<digits>".

    Spelled out so that a client (or a fuzzer) can tell a cursor from noise: each base64
    group of three ASCII digits has a fixed shape, and the first group starts with "c".
    Up to 11 digits, as decode_cursor allows; every match is a cursor decode_cursor reads.
    """
    digit_head = "(?:[MN][DTjz]|O[DT])"  # a digit, then the high bits of the next one
    group = f"{digit_head}[AEIMQUYcgk][w-z0-5]"  # three digits
    two_left = f"{digit_head}[AEIMQUYcgk]"
    one_left = "(?:[MN][AQgw]|O[AQ])"
    return f"^Yz[AEIMQUYcgk](?:[w-z0-5](?:{group}){{0,2}}(?:{group}|{two_left}|{one_left})?)?$"


CURSOR_PATTERN = _cursor_pattern()


def _cursor(value: str) -> str | None:
    if re.fullmatch(CURSOR_PATTERN, value) is None:
        raise ValueError("not a cursor from this API")
    # A cursor reads "the contacts below id N". No id exceeds MAX_ID, so below a larger
    # N is every contact: the first page, as without a cursor (and N never reaches
    # PostgreSQL's integer column, which would refuse it with a 500).
    if decode_cursor(value) > MAX_ID:
        return None
    return value


Cursor = Annotated[
    str,
    AfterValidator(_cursor),
    WithJsonSchema({"type": "string", "pattern": CURSOR_PATTERN, "description": "next_cursor of a page"}),
]


class ContactQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: ContactStatus | None = None
    source_id: Id | None = None
    operator_id: Id | None = None
    lead_id: Id | None = None
    unassigned: bool = False
    limit: Integer(1, 500) = 50
    cursor: Cursor | None = None


class LeadQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    external_id: Text(1, 255) | None = Field(
        None, description="A merged-away external_id finds the lead it was merged into."
    )
    email: Text(1, 254) | None = Field(None, description=EMAIL_DESCRIPTION)
    phone: Text(1, 50) | None = Field(None, description=PHONE_DESCRIPTION)


class StatsQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    source_id: Id | None = None
    start: Timestamp | None = Field(None, alias="from", description="Default: 7 days before to.")
    to: Timestamp | None = Field(None, description="Default: now.")
