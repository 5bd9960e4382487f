"""Database models and the named queries that pages and the API share."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from sqlalchemy.types import DateTime, TypeDecorator

from webapp.clock import utcnow
from webapp.extensions import db

OPERATOR_STATUSES = ("active", "inactive")
CONTACT_STATUSES = ("new", "in_progress", "closed")
OPEN_CONTACT_STATUSES = ("new", "in_progress")
USER_ROLES = ("supervisor", "manager", "operator")


class UTCDateTime(TypeDecorator):
    """Stores naive UTC and hands back aware UTC, the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=UTC)
        return value


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def name_key(name: str) -> str:
    """The form in which two names count as the same: case-folded (Unicode, not just ASCII)."""
    return name.casefold()


class UniqueNameMixin:
    """A ``name`` unique regardless of case, through ``name_key`` (kept by the model itself).

    Why a column and not a unique index on ``lower(name)``: SQLite's ``lower()`` folds
    ASCII only, so "Анна" and "анна" would both pass there; Python's ``casefold()``
    gives both backends the same rule.
    """

    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Nullable in the schema only (the migration adds it to tables with rows, without a
    # rebuild); the model sets it with every name.
    name_key: Mapped[str | None] = mapped_column(String(200), unique=True, index=True)

    @validates("name")
    def _keep_name_key(self, _key, name):
        self.name_key = name_key(name)
        return name


class ChangeSeqMixin:
    """``change_seq``: grows with every committed change of the row the board shows, kept by
    the database's triggers (migration 0015), never by the application.

    On SQLite the table's max + 1; on PostgreSQL the id of the transaction that made the
    change. ``webapp/queries/changes.py`` reads it: has anything the board shows changed?
    """

    change_seq: Mapped[int] = mapped_column(BigInteger, server_default="0", index=True)


class Lead(db.Model):
    __tablename__ = "leads"
    # With the id: a value's oldest lead is read from the index (migration 0020's triggers).
    __table_args__ = (Index("ix_leads_phone_id", "phone", "id"), Index("ix_leads_email_id", "email", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(50))
    name: Mapped[str | None] = mapped_column(String(200))
    # The source every contact of this lead came through, while there is one; NULL once a
    # second source sent one. A source token reads and overwrites email, phone and name only
    # of a lead whose sole source is its own (API.md, Authentication). Kept by the intake's
    # upsert, on the locked row, so concurrent contacts of two sources cannot miss each other.
    # No foreign key: contacts.source_id holds the reference.
    sole_source_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contacts: Mapped[list[Contact]] = relationship(back_populates="lead")


class SharedLeadValue(db.Model):
    """A phone or an email held by more than one lead: the possible duplicates, found without
    grouping every lead. Written only by the database's triggers on leads (migration 0020);
    ``flask --app wsgi check`` recomputes it."""

    __tablename__ = "shared_lead_values"
    __table_args__ = (Index("ix_shared_lead_values_field_first_lead_id", "field", "first_lead_id"),)

    field: Mapped[str] = mapped_column(String(5), primary_key=True)  # "phone" or "email"
    value: Mapped[str] = mapped_column(String(254), primary_key=True)
    first_lead_id: Mapped[int]  # the oldest lead holding it: the page lists the oldest groups first


class LeadAlias(db.Model):
    """The external_id of a lead merged into another: it keeps finding the surviving lead.

    Intake resolves it inside its one upsert (``webapp.intake.find_or_create_lead``), so
    a new contact under a merged-away external_id lands on the survivor.
    """

    __tablename__ = "lead_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeadMerge(db.Model):
    """One merge: which lead went into which, what it held, how many contacts moved, and who.

    A merge changes no operator, so it writes no Assignment; this row is its record. The
    merged lead is gone, so its id is kept as a plain number (no foreign key).
    """

    __tablename__ = "lead_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    merged_lead_id: Mapped[int]
    merged_external_id: Mapped[str] = mapped_column(String(255))
    merged_email: Mapped[str | None] = mapped_column(String(254))
    merged_phone: Mapped[str | None] = mapped_column(String(50))
    merged_name: Mapped[str | None] = mapped_column(String(200))
    contacts_moved: Mapped[int]
    actor_kind: Mapped[str] = mapped_column(String(8))
    actor_name: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Operator(UniqueNameMixin, ChangeSeqMixin, db.Model):
    __tablename__ = "operators"
    __table_args__ = (
        CheckConstraint(_in("status", OPERATOR_STATUSES), name="status"),
        CheckConstraint("max_active_contacts >= 0", name="limit_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    max_active_contacts: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Weekly hours in an IANA zone (webapp/schedules.py); None: always on shift.
    schedule: Mapped[dict | None] = mapped_column(JSON)
    # Open contacts held now. Kept by triggers on contacts (migration 0014), never written
    # here: the pick and the pages read it instead of counting; `flask check` recounts it.
    open_contacts: Mapped[int] = mapped_column(default=0, server_default="0")

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class OperatorAbsence(db.Model):
    """A span of time the operator takes no contacts (holiday, sick leave), whatever the schedule."""

    __tablename__ = "operator_absences"
    __table_args__ = (Index("ix_operator_absences_operator_id_end", "operator_id", "end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Source(UniqueNameMixin, ChangeSeqMixin, db.Model):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str | None] = mapped_column(Text)
    # A deactivated source is archived, not deleted: its history stays, the dashboard lists
    # it apart, and bots posting to it are still served (API.md promises nothing else).
    active: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Routing settings (API.md, "Routing settings of a source").
    paused: Mapped[bool] = mapped_column(default=False, server_default="0")
    auto_drain: Mapped[bool] = mapped_column(default=True, server_default="1")
    sticky_days: Mapped[int] = mapped_column(default=0, server_default="0")
    intake_per_minute: Mapped[int | None]
    wait_target_minutes: Mapped[int | None]
    # An automatic assignment still "new" after this long goes back to the pool (webapp/timeouts.py).
    response_timeout_minutes: Mapped[int | None]
    # Signed webhooks (webapp/webhooks.py): where the contact events go, and the key that signs
    # them ("whsec_" + base64, the Standard Webhooks form; shown once, when made).
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    # The last time the intake limit refused a contact: the overview lists today's.
    intake_limited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Every reader of a source shows its weights: load them with it, ordered.
    weights: Mapped[list[OperatorSourceWeight]] = relationship(
        back_populates="source",
        lazy="selectin",
        order_by="OperatorSourceWeight.operator_id",
        cascade="all, delete-orphan",
    )


class OperatorSourceWeight(db.Model):
    __tablename__ = "operator_source_weights"
    __table_args__ = (
        UniqueConstraint("source_id", "operator_id"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    weight: Mapped[int]

    source: Mapped[Source] = relationship(back_populates="weights")
    # A weight is always shown with its operator's name.
    operator: Mapped[Operator] = relationship(lazy="joined")


class Contact(ChangeSeqMixin, db.Model):
    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(_in("status", CONTACT_STATUSES), name="status"),
        # The eligibility count and the unassigned board both read this index.
        Index("ix_contacts_operator_status", "operator_id", "status"),
        Index("ix_contacts_source_id_id", "source_id", "id"),
        # The intake limit counts a source's contacts of the last minute.
        Index("ix_contacts_source_id_created_at", "source_id", "created_at"),
        # A source's waiting and open contacts without its closed history (overview, source page, board).
        Index("ix_contacts_source_id_status_created_at", "source_id", "status", "created_at"),
        # The board's views of one source, newest first.
        Index("ix_contacts_source_id_status_id", "source_id", "status", "id"),
        Index("ix_contacts_status_id", "status", "id"),
        Index("ix_contacts_lead_id_id", "lead_id", "id"),
        # Overview and stats read "today" and "the last 14 days" by these times.
        Index("ix_contacts_created_at", "created_at"),
        Index("ix_contacts_assigned_at", "assigned_at"),
        Index("ix_contacts_closed_at", "closed_at"),
        Index("ix_contacts_started_at", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    status: Mapped[str] = mapped_column(String(16), default="new")
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When it first went in progress: the stats' first-response time runs from assigned_at to it.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # A contact is never shown without its lead.
    lead: Mapped[Lead] = relationship(back_populates="contacts", lazy="joined")
    source: Mapped[Source] = relationship()
    operator: Mapped[Operator | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CONTACT_STATUSES


ASSIGNMENT_TRIGGERS = ("intake", "manual", "drain", "sweep", "redistribute", "timeout", "unassign", "merge")


class Assignment(db.Model):
    """One change of a contact's operator (or an intake that found nobody), and why."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_contact_id_id", "contact_id", "id"),
        # The sticky statistics read the last 7 days.
        Index("ix_assignments_at", "at"),
        # ... of the picks that had a preference only.
        Index("ix_assignments_preferred_at", "at", postgresql_where=text("preferred_operator_id IS NOT NULL"),
              sqlite_where=text("preferred_operator_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trigger: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(8))
    actor_name: Mapped[str] = mapped_column(String(200))
    from_operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"))
    forced: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    # Every operator weighted on the source at that moment, as the pick saw them.
    candidates: Mapped[list] = mapped_column(JSON, default=list)
    draw_point: Mapped[int | None] = mapped_column(BigInteger)
    draw_total: Mapped[int | None] = mapped_column(BigInteger)
    # The operator the source's sticky_days preferred (the lead's most recent one), whether
    # or not the pick could honour it: how often it held is counted from these.
    preferred_operator_id: Mapped[int | None]


WEIGHT_PLAN_STATUSES = ("scheduled", "active", "done", "cancelled", "missed")


class PickTally(db.Model):
    """One finished day's weighted picks on a source, summed for one operator (``webapp.pick_tallies``).

    The sums of ``webapp.fairness.Tally``: what the stats need of the day's assignment records,
    without parsing their candidate lists again. Written once per day, by the fold.
    """

    __tablename__ = "pick_tallies"

    day: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)  # its first moment, UTC
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    operator_id: Mapped[int] = mapped_column(ForeignKey("operators.id"), primary_key=True)
    assigned: Mapped[int]
    trials: Mapped[int]
    expected: Mapped[float]
    variance: Mapped[float]
    # Each chance, when the day gave fewer than EXACT_BELOW_PICKS (the exact test needs them).
    few_chances: Mapped[list | None] = mapped_column(JSON(none_as_null=True))


class WeightPlan(db.Model):
    """A weight set planned for a period of a source: applied at ``start``, reverted at ``end``.

    The sweep (``webapp.weight_plans.apply_due_plans``) moves it from scheduled to active
    (keeping the weights it replaced in ``previous_weights``) and back at the end.
    """

    __tablename__ = "weight_plans"
    __table_args__ = (
        CheckConstraint(_in("status", WEIGHT_PLAN_STATUSES), name="status"),
        # The sweep reads the plans that are due, by status and time.
        Index("ix_weight_plans_status_start", "status", "start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    # [{"operator_id", "weight"}…]: the whole set, as PUT /sources/{id}/weights takes it.
    weights: Mapped[list] = mapped_column(JSON)
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    previous_weights: Mapped[list | None] = mapped_column(JSON)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(8))
    actor_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookEvent(db.Model):
    """One event for a source's webhook: written in the transaction of the change (the outbox),
    delivered by the worker, at least once, in order per contact."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        # The worker reads what is due; the source page lists the newest; order per contact.
        Index("ix_webhook_events_next_attempt_at", "next_attempt_at"),
        Index("ix_webhook_events_source_id_id", "source_id", "id"),
        Index("ix_webhook_events_contact_id_id", "contact_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The Webhook-Id of every attempt: a receiver drops the repeats of an at-least-once delivery.
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))  # None: a test event
    type: Mapped[str] = mapped_column(String(40))
    # The JSON body as it was at the change, sent as is on every attempt.
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the worker may try (again); None once delivered or given up after 24 hours.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the token: the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, shown so two tokens of one name can be told apart
    # (about 36 of its 256 random bits: no help in guessing the rest). Null for older tokens.
    prefix: Mapped[str | None] = mapped_column(String(16))
    is_admin: Mapped[bool] = mapped_column(default=False)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    source: Mapped[Source | None] = relationship()


class IdempotencyKey(db.Model):
    """A stored response, replayed when a bot retries with the same key."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="role"),
        # An operator user acts as exactly one operator; the other roles act as nobody.
        CheckConstraint("(role = 'operator') = (operator_id IS NOT NULL)", name="operator_link"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The dashboard's language ("en", "ru"; null: the browser's) and time zone
    # (an IANA name; null: the deployment's DEFAULT_TIMEZONE).
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Role operator: the operator this user is (their own contacts, their away/available).
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("operators.id"), index=True)
    # Set when a supervisor deactivates the user: no sign-in, no session (history kept).
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    operator: Mapped[Operator | None] = relationship()


class ContactNote(db.Model):
    """An internal note on a contact: who wrote it, when. Never shown to the customer."""

    __tablename__ = "contact_notes"
    __table_args__ = (Index("ix_contact_notes_contact_id_id", "contact_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)

    # A note is always shown with its author's name.
    author: Mapped[User] = relationship(lazy="joined")


class UserSession(db.Model):
    """One signed-in browser of a user: what its session cookie names instead of the user id.

    Flask's sessions live in the cookie, so a cookie stays valid exactly as long as
    its row does: sign-in replaces the browser's previous row, sign-out deletes it,
    "sign out everywhere" and a password change delete every row of the user.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the token in the cookie: a copy of the database signs nobody in.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- Named queries ---------------------------------------------------------


def counted_open_contacts(operator_id_column=None):
    """The number of an operator's open contacts, counted from the contacts themselves.

    Only the recount (``flask check``) counts: everything else reads ``Operator.open_contacts``.
    """
    return (
        select(func.count())
        .where(Contact.operator_id == (operator_id_column if operator_id_column is not None else Operator.id))
        .where(Contact.status.in_(OPEN_CONTACT_STATUSES))
        .scalar_subquery()
    )


def unassigned_open_contacts(source_id: int | None = None):
    """Open contacts waiting for an operator, oldest first."""
    query = (
        select(Contact)
        .where(Contact.operator_id.is_(None))
        .where(Contact.status.in_(OPEN_CONTACT_STATUSES))
        .order_by(Contact.id)
    )
    if source_id is not None:
        query = query.where(Contact.source_id == source_id)
    return query
