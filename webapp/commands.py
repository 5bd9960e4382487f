"""Flask CLI commands: tokens, users, demo data, housekeeping."""

from __future__ import annotations

import os
from contextlib import nullcontext
from datetime import timedelta

import click
from flask import Blueprint, current_app

from webapp import counters, demo, intake, pick_tallies, tokens, users, worker
from webapp.database import write_transaction
from webapp.directory import get_existing
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import USER_ROLES, Operator
from webapp.private_files import write_private_file

bp = Blueprint("commands", __name__, cli_group=None)


@bp.cli.command("create-token")
@click.argument("name")
@click.option("--admin", is_flag=True, help="A token that may call every endpoint.")
@click.option("--source", "source_id", type=int, help="A bot token for this source id.")
def create_token(name, admin, source_id):
    """Create an API token; prints it alone on the last line."""
    if admin == (source_id is not None):
        raise click.UsageError("Give exactly one of --admin or --source SOURCE_ID.")
    try:
        with write_transaction(db.session):
            _row, token = tokens.create_token(db.session, name, is_admin=admin, source_id=source_id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(
        f"Created {'admin' if admin else f'source {source_id}'} token {name!r}. It is shown only once:"
    )
    click.echo(token)


@bp.cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(USER_ROLES), required=True)
@click.option("--operator", "operator_id", type=int, help="For --role operator: the operator this user is.")
def create_user(username, role, operator_id):
    """Create a dashboard user; the password comes from LEADCRM_PASSWORD or a prompt."""
    if (role == "operator") != (operator_id is not None):
        raise click.UsageError("Give --operator OPERATOR_ID with --role operator, and only with it.")
    try:
        if operator_id is not None:
            get_existing(db.session, Operator, operator_id)  # before asking for a password
        password = _password_from_environment_or_prompt()
        with write_transaction(db.session):
            users.create_user(db.session, username, password, role, operator_id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {role} {username!r}" + (f" (operator {operator_id})." if operator_id else "."))


@bp.cli.command("set-password")
@click.argument("username")
def set_password(username):
    """Set a user's password (LEADCRM_PASSWORD or a prompt); every session of theirs ends."""
    try:
        users.get_user_by_name(db.session, username)  # before asking for a password
        password = _password_from_environment_or_prompt()
        with write_transaction(db.session):
            users.set_password(db.session, users.get_user_by_name(db.session, username), password)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Password of {username!r} set; every session of theirs has ended.")


def _password_from_environment_or_prompt() -> str:
    return os.environ.get("LEADCRM_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )


@bp.cli.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has sources.")
def seed_demo(if_empty):
    """Load demo sources, operators, weights, contacts, a supervisor and tokens."""
    if if_empty and demo.has_data(db.session):
        click.echo("The database already has data; demo data not loaded.")
        return
    try:
        with write_transaction(db.session):
            credentials = demo.seed(db.session)
    except DomainError as error:
        raise click.ClickException(f"{error.message} (use --if-empty to keep existing data)") from None
    path = current_app.config.get("DEMO_CREDENTIALS_FILE") or os.path.join(
        current_app.instance_path, "demo-credentials.txt"
    )
    write_private_file(path, credentials.as_text())
    click.echo(credentials.as_text())
    click.echo(f"(kept in {path})")


@bp.cli.command("purge-idempotency-keys")
def purge_idempotency_keys():
    """Delete stored idempotent responses older than IDEMPOTENCY_TTL_HOURS."""
    ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    with write_transaction(db.session):
        removed = intake.purge_idempotency_keys(db.session, ttl)
    click.echo(f"Removed {removed} idempotency keys older than {ttl}.")


@bp.cli.command("sweep")
def sweep():
    """One pass of the worker's time-driven work (response timeouts, the drain, the fold), then exit."""
    done = worker.run_due_work(db.session)
    click.echo(f"Sweep assigned {done['assigned']} waiting contacts. {done['timed_out']} contacts timed out. "
               f"{done['days_folded']} days of picks folded.")


@bp.cli.command("check")
@click.option("--repair", is_flag=True, help="Set everything that differs to what was recomputed.")
def check(repair):
    """Recount every operator's open contacts, the values leads share and the folded picks;
    exit 1 when one differs."""
    # A repair reads and writes in one unit of work; a check only reads.
    with write_transaction(db.session) if repair else nullcontext():
        drift = counters.open_contacts_drift(db.session)
        value_drift = counters.shared_values_drift(db.session)
        tally_drift = pick_tallies.tallies_drift(db.session)
        if repair:
            counters.repair_open_contacts(db.session)
            counters.repair_shared_values(db.session)
            if tally_drift:
                pick_tallies.refold(db.session)
    for operator_id, name, stored, counted in drift:
        click.echo(f"Operator {operator_id} ({name}): {stored} open contacts stored, {counted} counted.")
    for field, value, stored, counted in value_drift:
        click.echo(f"Shared {field} {value}: oldest lead {stored} stored, {counted} found.")
    for source_id, operator_id, stored, counted in tally_drift:
        click.echo(f"Picks of operator {operator_id} on source {source_id} in the folded days: "
                   f"{stored} stored, {counted} in the records.")
    if not drift and not value_drift and not tally_drift:
        click.echo("Every operator's open-contact count matches its contacts; every shared value, its leads; "
                   "the folded picks, their records.")
    elif repair:
        click.echo(f"Repaired {len(drift)} counts and {len(value_drift)} shared values"
                   + ("; the picks are folded again by the worker." if tally_drift else "."))
    else:
        raise SystemExit(1)
