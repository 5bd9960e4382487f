"""Operators, sources and their weights: the settings supervisors steer."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.database import begin_write
from webapp.errors import ConflictError, InvalidError, NotFoundError
from webapp.models import Operator, OperatorSourceWeight, Source


def get_or_404(session, model, row_id: int):
    row = session.get(model, row_id)
    if row is None:
        raise NotFoundError(f"{model.__name__} {row_id} does not exist.")
    return row


def _commit_unique(session, message: str) -> None:
    """Commit; a unique-name clash (even one that raced us) becomes a 409."""
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ConflictError(message) from None


def _name_taken(session, model, name: str, except_id: int | None = None) -> bool:
    query = select(func.count()).select_from(model).where(model.name == name)
    if except_id is not None:
        query = query.where(model.id != except_id)
    return session.execute(query).scalar_one() > 0


def create_operator(session, name: str, max_active_contacts: int, status: str = "active") -> Operator:
    begin_write(session)
    if _name_taken(session, Operator, name):
        raise ConflictError(f"An operator named {name!r} already exists.")
    operator = Operator(name=name, max_active_contacts=max_active_contacts, status=status)
    session.add(operator)
    _commit_unique(session, f"An operator named {name!r} already exists.")
    return operator


def set_operator_status(session, operator_id: int, status: str) -> Operator:
    begin_write(session)
    operator = get_or_404(session, Operator, operator_id)
    operator.status = status
    session.commit()
    return operator


def update_operator(session, operator_id: int, *, name=None, max_active_contacts=None) -> Operator:
    """Rename or change the limit. A lower limit reassigns nothing already held."""
    begin_write(session)
    operator = get_or_404(session, Operator, operator_id)
    if name is not None and name != operator.name:
        if _name_taken(session, Operator, name, except_id=operator.id):
            raise ConflictError(f"An operator named {name!r} already exists.")
        operator.name = name
    if max_active_contacts is not None:
        operator.max_active_contacts = max_active_contacts
    _commit_unique(session, f"An operator named {name!r} already exists.")
    return operator


def create_source(session, name: str, description: str | None = None) -> Source:
    begin_write(session)
    if _name_taken(session, Source, name):
        raise ConflictError(f"A source named {name!r} already exists.")
    source = Source(name=name, description=description)
    session.add(source)
    _commit_unique(session, f"A source named {name!r} already exists.")
    return source


def _check_weight_items(session, items: list[tuple[int, int]]) -> None:
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


def replace_weights(session, source_id: int, items: list[tuple[int, int]]) -> Source:
    """Replace the whole weight set of a source; weight 0 takes an operator off it."""
    begin_write(session)
    source = get_or_404(session, Source, source_id)
    _check_weight_items(session, items)
    wanted = {operator_id: weight for operator_id, weight in items if weight > 0}
    for row in list(source.weights):
        if row.operator_id in wanted:
            row.weight = wanted.pop(row.operator_id)
        else:
            source.weights.remove(row)
    for operator_id, weight in wanted.items():
        source.weights.append(OperatorSourceWeight(operator_id=operator_id, weight=weight))
    session.commit()
    session.refresh(source)
    return source


def set_weight(session, source_id: int, operator_id: int, weight: int) -> Source:
    """Change one operator's weight on a source, keeping the others."""
    begin_write(session)
    source = get_or_404(session, Source, source_id)
    items = [(w.operator_id, w.weight) for w in source.weights if w.operator_id != operator_id]
    return replace_weights(session, source_id, items + [(operator_id, weight)])
