"""Health check and the browsable API docs: no login, no token."""

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.get("/docs")
def api_docs():
    """Swagger UI over /api/v1/openapi.json, from vendored files."""
    return render_template("meta/docs.html")
