"""Configuration defaults; instance/config.py and the environment override them."""

import os
import secrets
from pathlib import Path

from webapp.private_files import publish_private_file

# Settings that may come from the environment, with the type to read them as.
ENVIRONMENT_SETTINGS = {
    "DATABASE_URL": str,
    "SECRET_KEY": str,
    "SQLITE_BUSY_TIMEOUT_MS": int,
    "PG_LOCK_TIMEOUT_MS": int,
    "SQLITE_WRITER_QUEUE": lambda value: value.lower() in ("1", "true", "yes"),
    "API_MAX_BODY_BYTES": int,
    "API_RATE_LIMIT": str,
    "LOGIN_RATE_LIMIT": str,
    "RATELIMIT_STORAGE_URI": str,
    "IDEMPOTENCY_TTL_HOURS": int,
    "DEFAULT_TIMEZONE": str,
    "PHONE_REGION": str,
    "SESSION_COOKIE_SECURE": lambda value: value.lower() in ("1", "true", "yes"),
    "REDIS_URL": str,
    "WORKER_QUEUE_FILE": str,
    "WORKER_TICK_SECONDS": int,
    "WEBHOOK_ALLOW_PRIVATE": lambda value: value.lower() in ("1", "true", "yes"),
    "WEBHOOK_TIMEOUT_SECONDS": float,
    "WEBHOOK_POLL_SECONDS": int,
}


class Config:
    DATABASE_URL = None  # default: sqlite under the instance folder
    SQLITE_BUSY_TIMEOUT_MS = 5000
    PG_LOCK_TIMEOUT_MS = 5000
    # SQLite writers of all processes wait in line (a flock) instead of SQLite's
    # sleep-and-retry busy handler, which lets some wait for seconds under load.
    SQLITE_WRITER_QUEUE = True
    # Requests and the API body cap share one limit (64 KiB, API.md).
    API_MAX_BODY_BYTES = 64 * 1024
    # Rate limits: none on the API unless a deployment sets one (e.g. "100/second").
    API_RATE_LIMIT = None
    LOGIN_RATE_LIMIT = "10 per minute"
    # memory:// counts per worker process; use redis://... to share across workers.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    IDEMPOTENCY_TTL_HOURS = 24
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_TIME_LIMIT = None
    # The time zone the dashboard shows times in for users who have not chosen one.
    DEFAULT_TIMEZONE = "UTC"
    # The country a phone without a +country code belongs to (ISO 3166 code): phones are
    # stored in E.164, so "8 (912) 345-67-89" and "+7 912 345 67 89" are one customer.
    PHONE_REGION = "RU"
    # The background worker (webapp/worker.py): its queue is a SQLite file under instance/
    # (WORKER_QUEUE_FILE names another), or Redis when REDIS_URL is set (workers on several
    # hosts). Its time-driven work (drain sweep, response timeouts) runs every tick.
    REDIS_URL = None
    WORKER_QUEUE_FILE = None
    WORKER_TICK_SECONDS = 15
    # Signed webhooks: a URL on a loopback or private address is refused unless allowed (a
    # webhook must not become a way to reach the servers beside this one); how long a
    # receiver may take to answer.
    WEBHOOK_ALLOW_PRIVATE = False
    WEBHOOK_TIMEOUT_SECONDS = 10.0
    WEBHOOK_POLL_SECONDS = 2


def load_environment(config: dict) -> None:
    """Copy the known settings from the environment, typed."""
    for name, parse in ENVIRONMENT_SETTINGS.items():
        if name in os.environ:
            config[name] = parse(os.environ[name])


def ensure_secret_key(config: dict, instance_path: str) -> None:
    """Use the configured SECRET_KEY, or one generated once and kept under instance/."""
    if config.get("SECRET_KEY"):
        return
    key_file = Path(instance_path) / "secret_key"
    if not key_file.exists():
        publish_private_file(key_file, secrets.token_hex(32))  # 0600 from the start
    config["SECRET_KEY"] = key_file.read_text().strip()


def default_database_url(instance_path: str) -> str:
    return f"sqlite:///{Path(instance_path) / 'leadcrm.sqlite3'}"
