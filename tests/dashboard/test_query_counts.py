"""A page costs a constant number of SQL statements, however many rows it shows."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.builders import committed, make_contact, make_operator, make_source
from webapp import contacts, directory
from webapp.extensions import db

PAGES = [
    "/",
    "/stats",
    "/operators",
    "/sources",
    "/sources/{source}",
    "/contacts",
    "/contacts?source={source}&status=new",
    "/leads/{lead}",
    "/contacts/{contact}/assign",
    "/leads/duplicates",
]


@contextmanager
def counting_statements(engine):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def build(tag: str, operators: int, sources: int, contacts_per_source: int) -> dict:
    """A call centre of the given size; some operators inactive, some contacts closed or waiting."""
    people = [make_operator(f"{tag} op {n:03d}", limit=3, status="inactive" if n % 5 == 4 else "active")
              for n in range(operators)]
    made = {}
    for number in range(sources):
        weights = {op: 1 + n % 3 for n, op in enumerate(people) if n % sources == number}
        source = make_source(f"{tag} source {number}", weights)
        for index in range(contacts_per_source):
            lead = index % 7
            # Leads share phones three ways: the duplicates page grows with them.
            contact = make_contact(source, f"{tag}-lead-{lead}", name=f"Lead {lead}", message="hello",
                                   phone=f"+7912{len(tag):03d}00{lead % 3:02d}")
            if index % 4 == 0 and contact.operator_id is not None:
                committed(contacts.change_status, contact.id, "closed")
        made = {"source": source.id, "lead": contact.lead_id, "contact": contact.id}
    committed(directory.set_operator_status, people[0].id, "inactive")
    return made


def statements_per_page(client, ids) -> dict[str, int]:
    counts = {}
    for page in PAGES:
        url = page.format(**ids)
        client.get(url)  # warm: the first request of a client also loads its user
        with counting_statements(db.engine) as statements:
            response = client.get(url)
            response.get_data()
        assert response.status_code == 200, url
        counts[page] = len(statements)
    return counts


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_statements_do_not_grow_with_rows(app, supervisor, htmx):
    if htmx:
        supervisor.environ_base["HTTP_HX_REQUEST"] = "true"
    few = statements_per_page(supervisor, build("few", operators=3, sources=1, contacts_per_source=4))
    many = statements_per_page(supervisor, build("many", operators=40, sources=4, contacts_per_source=60))
    assert many == few
    # A small constant: the source page is the fullest (weights, shares now, routing figures,
    # tokens, weight plans, webhook deliveries) at 14.
    assert max(few.values()) <= 14, few
