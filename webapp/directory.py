"""Operators, sources and their weights: the settings supervisors steer.

Every function here runs inside the caller's write transaction
(``webapp.database.write_transaction``): it reads what it changes there,
flushes, and never commits.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from webapp.errors import ConflictError, InvalidError, NotFoundError
from webapp.models import Operator, OperatorSourceWeight, Source, name_key


def get_existing(session, model, row_id: int):
    """The row of ``model`` with this id; ``NotFoundError`` when there is none."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFoundError(f"{model.__name__} {row_id} does not exist.")
    return row


def _flush_unique(session, message: str) -> None:
    """Flush; a unique-name clash (even one that raced us) becomes a 409."""
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(message) from None


def _name_taken(session, model, name: str, except_id: int | None = None) -> bool:
    """Whether another row has this name regardless of case (API.md 1.1: "Anna" and "anna" clash)."""
    query = select(func.count()).select_from(model).where(model.name_key == name_key(name))
    if except_id is not None:
        query = query.where(model.id != except_id)
    return session.execute(query).scalar_one() > 0


def create_operator(session, name: str, max_active_contacts: int, status: str = "active") -> Operator:
    message = f"An operator named {name!r} already exists."
    if _name_taken(session, Operator, name):
        raise ConflictError(message)
    operator = Operator(name=name, max_active_contacts=max_active_contacts, status=status)
    session.add(operator)
    _flush_unique(session, message)
    return operator


def set_operator_status(session, operator_id: int, status: str) -> Operator:
    operator = get_existing(session, Operator, operator_id)
    operator.status = status
    session.flush()
    return operator


def update_operator(session, operator_id: int, *, name=None, max_active_contacts=None) -> Operator:
    """Rename or change the limit. A lower limit reassigns nothing already held."""
    operator = get_existing(session, Operator, operator_id)
    message = f"An operator named {name!r} already exists."
    if name is not None and name != operator.name:  # "anna" -> "Anna" renames the same row
        if _name_taken(session, Operator, name, except_id=operator.id):
            raise ConflictError(message)
        operator.name = name
    if max_active_contacts is not None:
        operator.max_active_contacts = max_active_contacts
    _flush_unique(session, message)
    return operator


def create_source(session, name: str, description: str | None = None) -> Source:
    message = f"A source named {name!r} already exists."
    if _name_taken(session, Source, name):
        raise ConflictError(message)
    source = Source(name=name, description=description)
    session.add(source)
    _flush_unique(session, message)
    return source


# The settings of a source that update_source changes (besides name and description).
SOURCE_SETTINGS = (
    "paused", "auto_drain", "sticky_days", "intake_per_minute", "wait_target_minutes",
    "response_timeout_minutes",
)


def update_source(session, source_id: int, changes: dict) -> Source:
    """Rename, describe, archive (``active``) or change the routing settings of a source.

    ``changes`` holds only what is given. An archived source keeps its history.

    The values arrive validated (types and ranges) by the caller's schema. Resuming a
    paused source drains nothing here: that runs after the commit (``jobs.after_source_change``).
    """
    source = get_existing(session, Source, source_id)
    message = f"A source named {changes.get('name')!r} already exists."
    name = changes.get("name")
    if name is not None and name != source.name:
        if _name_taken(session, Source, name, except_id=source.id):
            raise ConflictError(message)
        source.name = name
    for field in ("description", "active", *SOURCE_SETTINGS):
        if field in changes:
            setattr(source, field, changes[field])
    _flush_unique(session, message)
    return source


def check_weight_items(session, items: list[tuple[int, int]]) -> None:
    """``InvalidError`` naming each item whose operator is unknown or listed twice."""
    known = set(
        session.execute(select(Operator.id).where(Operator.id.in_({op for op, _ in items}))).scalars()
    )
    errors, seen = [], set()
    for index, (operator_id, _weight) in enumerate(items):
        if operator_id not in known:
            errors.append({"field": f"weights[{index}].operator_id", "message": "no operator with this id"})
        elif operator_id in seen:
            errors.append({"field": f"weights[{index}].operator_id", "message": "listed more than once"})
        seen.add(operator_id)
    if errors:
        raise InvalidError("Some weights name unknown or repeated operators.", errors)


def _upsert_weight(session, source_id: int, operator_id: int, weight: int) -> None:
    """One operator's weight on one source, written by one statement; 0 deletes the row.

    A single-row upsert, never a read of the set followed by a write of it: two
    supervisors saving different operators at the same moment both keep theirs.
    """
    if weight == 0:
        session.execute(
            delete(OperatorSourceWeight).where(
                OperatorSourceWeight.source_id == source_id, OperatorSourceWeight.operator_id == operator_id
            )
        )
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(OperatorSourceWeight).values(
        source_id=source_id, operator_id=operator_id, weight=weight
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["source_id", "operator_id"], set_={"weight": statement.excluded.weight}
        )
    )


def _source_with_fresh_weights(session, source_id: int) -> Source:
    source = get_existing(session, Source, source_id)
    session.flush()
    session.refresh(source)  # the weights were written by statements, not through the relationship
    return source


def replace_weights(session, source_id: int, items: list[tuple[int, int]]) -> Source:
    """Replace the whole weight set of a source; weight 0 takes an operator off it.

    The operators left out lose their weight; each listed one is upserted. All of
    it happens in the caller's transaction, so nobody ever sees half of a set.
    """
    get_existing(session, Source, source_id)
    check_weight_items(session, items)
    listed = [operator_id for operator_id, _ in items]
    session.execute(
        delete(OperatorSourceWeight).where(
            OperatorSourceWeight.source_id == source_id, OperatorSourceWeight.operator_id.not_in(listed)
        )
    )
    for operator_id, weight in items:
        _upsert_weight(session, source_id, operator_id, weight)
    return _source_with_fresh_weights(session, source_id)


def set_weight(session, source_id: int, operator_id: int, weight: int) -> Source:
    """Change one operator's weight on a source; the others are not touched."""
    get_existing(session, Source, source_id)
    check_weight_items(session, [(operator_id, weight)])
    _upsert_weight(session, source_id, operator_id, weight)
    return _source_with_fresh_weights(session, source_id)
