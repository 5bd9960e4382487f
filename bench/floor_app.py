"""The production app plus two bench-only floor endpoints, served by gunicorn in `make bench`.

The floors are what a request costs with (almost) nothing of ours in it:

* ``POST /bench/floor/json``   - parse the JSON body, answer a small JSON: the web stack's limit;
* ``POST /bench/floor/commit`` - the same plus exactly one INSERT + COMMIT through the app's own
  engine and write transaction (same pragmas, same pool): the database's limit for one write.

They never ship: this module is not imported by ``wsgi.py`` and its table is made only in
bench databases (``create_floor_table``).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from webapp import create_app
from webapp.database import write_transaction
from webapp.extensions import csrf, db

floor_metadata = MetaData()
floor_writes = Table(
    "bench_floor_writes",
    floor_metadata,
    Column("id", Integer, primary_key=True),
    Column("external_id", String(255), nullable=False),
)

bp = Blueprint("bench_floor", __name__, url_prefix="/bench/floor")


def create_floor_table(engine) -> None:
    """Create the floor's one table in a bench database (never in a real one)."""
    floor_metadata.create_all(engine)


@bp.post("/json")
def trivial_json():
    """Parse the body and answer: no database at all."""
    body = request.get_json(silent=True) or {}
    return jsonify(received=str(body.get("external_id", ""))[:20]), 201


@bp.post("/commit")
def one_commit():
    """Parse the body, then one durable INSERT + COMMIT."""
    body = request.get_json(silent=True) or {}
    with write_transaction(db.session):
        db.session.execute(insert(floor_writes).values(external_id=str(body.get("external_id", ""))))
    return jsonify(received=str(body.get("external_id", ""))[:20]), 201


def create_bench_app(test_config=None):
    app = create_app(test_config)
    app.register_blueprint(bp)
    csrf.exempt(bp)
    return app


app = create_bench_app()
