"""The background worker: huey runs the periodic work of webapp.jobs on a schedule.

Huey is the transport and the clock, not the record: every task here is a pass
over the database that finds its own work (waiting contacts, stale assignments),
each change in a write transaction of its own. So a task lost with a killed
worker costs nothing but time - the next tick finds the same work, and what a
killed transaction had not committed is simply not there - and several workers
(one host or many) may run the same tick at once: the row locks of the one door
(webapp.distribution) keep every change single.

Storage: huey's SQLite file under instance/ by default; its Redis storage when
``REDIS_URL`` is set, which workers on several hosts share.
"""

from __future__ import annotations

import logging
import os

import click
from flask import Blueprint, current_app
from huey import RedisHuey, SqliteHuey, crontab

from webapp import jobs, pick_tallies, timeouts, webhooks
from webapp.clock import utcnow
from webapp.database import write_transaction
from webapp.extensions import db

log = logging.getLogger(__name__)

bp = Blueprint("worker", __name__, cli_group=None)


def queue_file(app) -> str:
    return app.config["WORKER_QUEUE_FILE"] or os.path.join(app.instance_path, "worker-queue.sqlite3")


def create_huey(app):
    """A huey instance bound to ``app``, with the periodic work registered on it."""
    if app.config["REDIS_URL"]:
        huey = RedisHuey("leadcrm", url=app.config["REDIS_URL"], results=False)
    else:
        huey = SqliteHuey("leadcrm", filename=queue_file(app), results=False)
    tick_seconds = app.config["WORKER_TICK_SECONDS"]
    if not 1 <= tick_seconds <= 30:
        raise ValueError(f"WORKER_TICK_SECONDS must be 1..30 (at least every 30 s), not {tick_seconds}")

    @huey.task(name="tick")
    def tick():
        with app.app_context():
            run_due_work(db.session)

    @huey.task(name="deliver_webhooks")
    def deliver_webhooks():
        with app.app_context():
            webhooks.deliver_due(
                db.session,
                timeout=app.config["WEBHOOK_TIMEOUT_SECONDS"],
                allow_private=app.config["WEBHOOK_ALLOW_PRIVATE"],
            )

    # Huey's scheduler looks at periodic tasks once a minute; this one spreads the
    # minute's ticks over it, so the work runs every WORKER_TICK_SECONDS, and webhooks
    # go out within WEBHOOK_POLL_SECONDS of their change. They wait in huey's storage:
    # a worker started in the meantime runs them as well.
    @huey.periodic_task(crontab(), name="schedule_ticks")
    def schedule_ticks():
        for offset in range(0, 60, tick_seconds):
            tick.schedule(delay=offset)
        for offset in range(0, 60, app.config["WEBHOOK_POLL_SECONDS"]):
            deliver_webhooks.schedule(delay=offset)

    return huey


def run_due_work(session, now=None) -> dict[str, int]:
    """One pass of everything time-driven: what the worker runs on each tick."""
    now = now or utcnow()
    # Timeouts first: what they return to the pool the sweep hands out in the same tick.
    done = {"timed_out": timeouts.expire(session, now), "assigned": jobs.sweep(session, now=now),
            "days_folded": fold_finished_days(session)}
    if any(done.values()):
        log.info("tick at %s: %s", now.isoformat(timespec="seconds"), done)
    return done


# A tick folds at most a week: a database upgraded with a year of history is folded over
# a few minutes of ticks, none of which holds the others up for long.
FOLD_DAYS_PER_TICK = 7


def fold_finished_days(session) -> int:
    """Fold the finished days into the pick tallies (webapp.pick_tallies), a day per unit of work.

    By the clock itself, not the tick's ``now``: a day is folded once its records are all
    written, which only real time tells.
    """
    folded = 0
    while folded < FOLD_DAYS_PER_TICK:
        with write_transaction(session):
            if pick_tallies.fold_next_day(session, utcnow()) is None:
                break
        folded += 1
    return folded


@bp.cli.command("worker")
@click.option("--threads", default=2, show_default=True,
              help="Tasks run at once in this process (a slow webhook receiver holds one).")
def worker(threads):
    """Run the background work (drain sweep, timeouts, webhooks, the daily fold) until stopped (Ctrl-C)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    huey = create_huey(app)
    where = app.config["REDIS_URL"] and "Redis" or queue_file(app)
    click.echo(f"Worker: queue in {where}, a tick every {app.config['WORKER_TICK_SECONDS']} s.")
    # An idle worker looks at the queue at least every 2 s (huey's default backs off to 10 s),
    # so a tick runs close to its time.
    huey.create_consumer(workers=threads, periodic=True, max_delay=2.0).run()
