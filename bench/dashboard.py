"""Dashboard at scale: server time (p50) and SQL statements of each page, on a big and a small
database, and the peak memory of a worker while it streams the biggest CSV export.

Pages that the app does not have (yet) are reported as "not available", never guessed at.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect
from werkzeug.security import generate_password_hash

from bench.databases import app_on
from bench.servers import gunicorn, memory_kib
from bench.statements import counting_statements
from webapp import create_app

SUPERVISOR = ("bench-supervisor", "bench-password-1")
OPERATOR = ("bench-operator", "bench-password-2")  # the user of the sample contact's operator
BENCH_SECRET = "bench"
EXPORT_PATH = "/contacts/export.csv"
# Bounds that keep `make bench` bounded even when a page or the export is slow.
PAGE_BUDGET_SECONDS = 3.0
EXPORT_BUDGET_SECONDS = 30.0


@dataclass(frozen=True)
class Page:
    label: str
    # May name {source_id}, {lead_id}, {contact_id}, {operator_id}, {other_lead_id} and
    # {deep_cursor} (see _sample_ids).
    path: str
    htmx: bool = False
    role: str = "supervisor"  # or "operator": the user of the sample contact's operator


# Every page a person opens (GET), and the partials that htmx polls or loads: PAGES.md.
PAGES = (
    Page("overview `/`", "/"),
    Page("overview poll (`/`, HX-Request)", "/", htmx=True),
    Page("stats `/stats` (7 days)", "/stats"),
    Page("stats today `/stats?period=today`", "/stats?period=today"),
    Page("stats 30 days `/stats?period=30d`", "/stats?period=30d"),
    Page("stats of one source `/stats?source=<id>`", "/stats?source={source_id}"),
    Page("stats CSV `/stats/export.csv`", "/stats/export.csv"),
    Page("operators `/operators`", "/operators"),
    Page("operator page `/operators/<id>`", "/operators/{operator_id}"),
    Page("availability `/operators/<id>/availability`", "/operators/{operator_id}/availability"),
    Page("sources `/sources`", "/sources"),
    Page("source page `/sources/<id>`", "/sources/{source_id}"),
    Page("try it `/sources/<id>/try`", "/sources/{source_id}/try"),
    Page("contacts `/contacts`", "/contacts"),
    Page("contacts poll partial (`/contacts`, HX-Request)", "/contacts", htmx=True),
    Page("contacts, longest waiting first `?sort=-age`", "/contacts?sort=-age", htmx=True),
    Page("contacts by operator `?sort=operator`", "/contacts?sort=operator", htmx=True),
    Page("contacts by operator, reversed `?sort=-operator`", "/contacts?sort=-operator", htmx=True),
    Page("contacts by source `?sort=source`", "/contacts?sort=source", htmx=True),
    Page("contacts, a deep page `?before=<cursor>`", "/contacts?before={deep_cursor}", htmx=True),
    Page("contacts of a source, new `?source=<id>&status=new`", "/contacts?source={source_id}&status=new",
         htmx=True),
    Page("contacts of an operator `?operator=<id>`", "/contacts?operator={operator_id}", htmx=True),
    Page("contacts closed `?status=closed`", "/contacts?status=closed", htmx=True),
    Page("contacts search by name `?q=Lead 2242`", "/contacts?q=Lead%202242", htmx=True),
    Page("contacts search by phone `?q=+44 70 ...`", "/contacts?q=%2B447000002241", htmx=True),
    Page("contacts search by email `?q=lead2243@...`", "/contacts?q=lead2243%40example.com", htmx=True),
    Page("contacts search by number `?q=#<id>`", "/contacts?q=%23{contact_id}", htmx=True),
    Page("assign menu `/contacts/<id>/assign` (HX-Request)", "/contacts/{contact_id}/assign", htmx=True),
    Page("contact page `/contacts/<id>`", "/contacts/{contact_id}"),
    Page("lead page `/leads/<id>`", "/leads/{lead_id}"),
    Page("duplicates `/leads/duplicates`", "/leads/duplicates"),
    Page("merge, confirm `/leads/merge`", "/leads/merge?into={lead_id}&lead_id={other_lead_id}"),
    Page("users `/users`", "/users"),
    Page("settings `/settings`", "/settings"),
    Page("password `/account/password`", "/account/password"),
    Page("my contacts `/my/contacts` (operator)", "/my/contacts", role="operator"),
    Page("my contact `/contacts/<id>` (operator)", "/contacts/{contact_id}", role="operator"),
)


@dataclass(frozen=True)
class PageTiming:
    page: Page
    available: bool
    status: int | None = None
    p50_ms: float | None = None
    statements: int | None = None
    note: str = ""
    slowest_ms: float = 0.0
    slowest_statement: str = ""


def route_path(app, path: str, method: str = "GET") -> str | None:
    """`path` as the app serves it (after a trailing-slash redirect), or None without a route."""
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match(path, method=method)
    except RequestRedirect as redirect:
        return urlsplit(redirect.new_url).path
    except (NotFound, MethodNotAllowed):
        return None
    return path


def has_route(app, path: str, method: str = "GET") -> bool:
    return route_path(app, path, method) is not None


def ensure_supervisor(database_url: str, operator_id: int | None = None) -> None:
    """A supervisor to sign in as (and the operator user of ``operator_id`` when given). Their
    hashes are deliberately cheap (bench data only), so that signing in costs the bench
    milliseconds; the login itself goes through the real form."""
    from webapp.extensions import db

    with app_on(database_url):
        _ensure_user(db.session, SUPERVISOR, "supervisor")
        if operator_id is not None:
            _ensure_user(db.session, OPERATOR, "operator", operator_id)


def _ensure_user(session, credentials, role: str, operator_id: int | None = None) -> None:
    from webapp.models import User

    username, password = credentials
    if session.execute(select(User.id).where(User.username == username)).first() is None:
        password_hash = generate_password_hash(password, method="pbkdf2:sha256:1000")
        session.add(User(username=username, password_hash=password_hash, role=role, operator_id=operator_id))
        session.commit()


def logged_in_client(app, credentials=SUPERVISOR):
    """A test client signed in through the real login form (CSRF is off in the bench app)."""
    client = app.test_client()
    if not has_route(app, "/login", "POST"):
        return client, "no /login route"
    response = client.post("/login", data={"username": credentials[0], "password": credentials[1]})
    if response.status_code not in (302, 303):
        return client, f"login answered {response.status_code}"
    return client, ""


def _sample_ids(session) -> dict[str, int]:
    """The rows the pages show: the first source; the lead with the most contacts (the heaviest
    lead page) and a lead to merge into it; the newest open contact with an operator (it has
    assignment records), its operator, and a cursor halfway down the open list."""
    from webapp.models import OPEN_CONTACT_STATUSES, Contact, Lead, Source

    source_id = session.execute(select(func.min(Source.id))).scalar() or 1
    lead_id = (
        session.execute(
            select(Contact.lead_id).group_by(Contact.lead_id).order_by(func.count().desc()).limit(1)
        ).scalar()
        or 1
    )
    other_lead_id = session.execute(select(func.max(Lead.id)).where(Lead.id != lead_id)).scalar() or 1
    open_assigned = select(Contact.id, Contact.operator_id).where(
        Contact.status.in_(OPEN_CONTACT_STATUSES), Contact.operator_id.is_not(None)
    )
    contact = session.execute(open_assigned.order_by(Contact.id.desc()).limit(1)).first()
    contact_id, operator_id = contact if contact else (1, None)
    count = session.execute(select(func.count()).select_from(open_assigned.subquery())).scalar()
    deep = session.execute(
        open_assigned.with_only_columns(Contact.id).order_by(Contact.id.desc()).offset(count // 2).limit(1)
    ).scalar()
    return {"source_id": source_id, "lead_id": lead_id, "other_lead_id": other_lead_id,
            "contact_id": contact_id, "operator_id": operator_id, "deep_cursor": deep or 1}


def bench_app_config() -> dict:
    return {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SECRET_KEY": BENCH_SECRET}


def time_pages(database_url: str, repeats: int) -> list[PageTiming]:
    """p50 server time over `repeats` requests and the statement count of one, per page."""
    from webapp.extensions import db

    with app_on(database_url, **bench_app_config()):
        ids = _sample_ids(db.session)
    ensure_supervisor(database_url, ids["operator_id"])
    # The requests run outside any app context, as a server's do: each loads its user from
    # the session cookie (inside an outer context, Flask-Login would keep the first user in `g`).
    app = create_app({"DATABASE_URL": database_url} | bench_app_config())
    with app.app_context():
        engine = db.engine
    try:
        clients = {"supervisor": logged_in_client(app), "operator": logged_in_client(app, OPERATOR)}
        return [_time_page(app, engine, *clients[page.role], page, ids, repeats) for page in PAGES]
    finally:
        engine.dispose()


def _time_page(app, engine, client, login_problem: str, page: Page, ids: dict, repeats: int) -> PageTiming:
    path, _question, query = page.path.format(**ids).partition("?")
    path = route_path(app, path)
    if path is None:
        return PageTiming(page, available=False, note="not available (no such route yet)")
    path += f"?{query}" if query else ""
    headers = {"HX-Request": "true"} if page.htmx else {}
    started = time.perf_counter()
    with counting_statements(engine) as log:
        first = client.get(path, headers=headers)
    first_ms = (time.perf_counter() - started) * 1000
    if first.status_code != 200:
        note = f"answered {first.status_code}" + (f"; {login_problem}" if login_problem else "")
        return PageTiming(page, available=False, status=first.status_code, note=note)
    times = _timed_gets(client, path, headers, repeats, [first_ms])
    note = f"{len(times)} of {repeats} requests (time budget)" if len(times) < repeats else ""
    slowest_ms, slowest_statement = log.slowest()
    return PageTiming(
        page, True, 200, statistics.median(times), log.count, note, slowest_ms, slowest_statement
    )


def _timed_gets(client, path: str, headers: dict, repeats: int, times: list[float]) -> list[float]:
    """Up to `repeats` timings in ms; a slow page stops after PAGE_BUDGET_SECONDS (at least 2).
    The caller's first request (templates compiled, statements counted) is one of them."""
    budget_ends = time.monotonic() + PAGE_BUDGET_SECONDS
    while len(times) < repeats and (len(times) < 2 or time.monotonic() < budget_ends):
        started = time.perf_counter()
        client.get(path, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
    return times


@dataclass(frozen=True)
class ExportMemory:
    available: bool
    note: str = ""
    bytes: int = 0
    seconds: float = 0.0
    baseline_kib: int = 0
    peak_kib: int = 0


def export_memory(database_url: str, workers: int = 2) -> ExportMemory:
    """Stream EXPORT_PATH from gunicorn and watch the workers' resident memory meanwhile."""
    ensure_supervisor(database_url)
    with app_on(database_url, **bench_app_config()) as app:
        if not has_route(app, EXPORT_PATH):
            return ExportMemory(False, f"not available: no {EXPORT_PATH} route yet")
        client, problem = logged_in_client(app)
        if problem:
            return ExportMemory(False, problem)
        cookie = client.get_cookie("session")
        if cookie is None:
            return ExportMemory(False, "login gave no session cookie")
        cookie_header = f"session={cookie.value}"
    env = {"SECRET_KEY": BENCH_SECRET}
    with gunicorn(database_url, workers=workers, env=env) as server:
        return _download_watching(server, cookie_header)


def _download_watching(server, cookie_header: str) -> ExportMemory:
    pids = server.worker_pids()
    _fetch(server.base_url + "/", cookie_header, EXPORT_BUDGET_SECONDS)  # warm the shared code paths
    baseline = max(_rss(pid) for pid in pids)
    peak = [baseline]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max([peak[0]] + [_rss(pid) for pid in pids])
            done.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        size, status, problem = _fetch(server.base_url + EXPORT_PATH, cookie_header, EXPORT_BUDGET_SECONDS)
    finally:
        done.set()
        watcher.join()
    if status != 200:
        return ExportMemory(False, f"{EXPORT_PATH} answered {status}")
    return ExportMemory(True, problem, size, time.monotonic() - started, baseline, peak[0])


def _rss(pid: int) -> int:
    try:
        return memory_kib(pid).get("VmRSS", 0)
    except OSError:  # the worker is gone (gunicorn killed or replaced it)
        return 0


def _fetch(url: str, cookie_header: str, budget_seconds: float) -> tuple[int, int, str]:
    """Read the whole body (or until the budget ends); returns (bytes, status, problem or "")."""
    request = urllib.request.Request(url, headers={"Cookie": cookie_header})
    size, deadline = 0, time.monotonic() + budget_seconds
    try:
        with urllib.request.urlopen(request, timeout=budget_seconds) as response:
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if time.monotonic() > deadline:
                    return size, response.status, f"stopped after the {budget_seconds:.0f} s budget"
            return size, response.status, ""
    except urllib.error.HTTPError as error:
        return 0, error.code, ""
    except (http.client.IncompleteRead, OSError) as error:
        return size, 200, f"connection broke after {size / 1e6:.1f} MB ({type(error).__name__})"
