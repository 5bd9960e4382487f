"""Who may call what: every rule of ``app.url_map`` × every kind of caller × every method.

The expectations are an explicit table keyed by (endpoint, method). A route that is
not in the table fails ``test_every_route_is_classified``: a new route must be given
its row here before it ships. CSRF is off in this module so that a POST from a
signed-in user reaches the permission check (the CSRF check is tested elsewhere).

Callers:
- ``anonymous``  — no cookie, no token;
- ``manager`` / ``supervisor`` — a real dashboard session (signed in through /login), no token;
- ``operator`` — a dashboard session of an operator user (linked to Boris, who has the contact by then):
  a page of another role is 403; another operator's contact is 404 (tests/dashboard/test_operator_role.py);
- ``admin`` / ``bot`` — a bearer token (admin, or a source token), no cookie.

Expected outcomes:
- ``LOGIN`` — a redirect to the sign-in page (the dashboard never accepts a bearer token);
- ``401`` / ``403`` / an exact status;
- ``OK`` — the request reached the view: 2xx, a redirect elsewhere than the sign-in page,
  or 409/422 (the view refused the data, which only happens after the permission check).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.builders import committed, make_contact, make_operator, make_source, make_token, make_user
from webapp import schedules, weight_plans
from webapp.distribution import SYSTEM

LOGIN = "login"
OK = "ok"
CALLERS = ("anonymous", "bot", "admin", "manager", "supervisor", "operator")
PASSWORD = "correct horse battery"


def row(anonymous, bot, admin, manager, supervisor, operator) -> dict:
    return dict(zip(CALLERS, (anonymous, bot, admin, manager, supervisor, operator), strict=True))


EVERYONE = row(200, 200, 200, 200, 200, 200)
STAFF_READ = row(LOGIN, LOGIN, LOGIN, 200, 200, 403)
STAFF_WRITE = row(LOGIN, LOGIN, LOGIN, OK, OK, 403)
SIGNED_IN_READ = row(LOGIN, LOGIN, LOGIN, 200, 200, 200)
SIGNED_IN_WRITE = row(LOGIN, LOGIN, LOGIN, OK, OK, OK)
OPERATOR_READ = row(LOGIN, LOGIN, LOGIN, 403, 403, 200)
OPERATOR_WRITE = row(LOGIN, LOGIN, LOGIN, 403, 403, OK)
SUPERVISOR_READ = row(LOGIN, LOGIN, LOGIN, 403, 200, 403)
SUPERVISOR_WRITE = row(LOGIN, LOGIN, LOGIN, 403, OK, 403)
ADMIN_API = row(401, 403, OK, 401, 401, 401)
ADMIN_API_READ = row(401, 403, 200, 401, 401, 401)
BOT_API_READ = row(401, 200, 200, 401, 401, 401)

EXPECTED = {
    # Meta and static files: public.
    ("meta.healthz", "GET"): EVERYONE,
    ("meta.api_docs", "GET"): EVERYONE,
    ("static", "GET"): EVERYONE,
    ("api.openapi_document", "GET"): EVERYONE,
    # Sign-in: the form for anyone (a signed-in user is sent on); a wrong password is a 401 page.
    ("auth.login", "GET"): row(200, 200, 200, 302, 302, 302),
    ("auth.login", "POST"): row(401, 401, 401, 401, 401, 401),
    # A signed-in user's sign-out (here or everywhere) also ends on the sign-in page.
    ("auth.logout", "POST"): row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    ("auth.logout_everywhere", "POST"): row(LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    # One's own password: any signed-in user (the empty form posted here is refused with 422).
    ("auth.change_password", "GET"): SIGNED_IN_READ,
    ("auth.change_password", "POST"): SIGNED_IN_WRITE,
    # A contact's page and its notes: staff, and the operator the contact is given to.
    ("contact.show", "GET"): SIGNED_IN_READ,
    ("contact.add_note", "POST"): SIGNED_IN_WRITE,
    # An operator's own contacts, their take/close and their away/available switch.
    ("contact.mine", "GET"): OPERATOR_READ,
    # The walk unassigned the contact (/contacts/<id>/unassign) before it gets here: no longer
    # Ola's, so 404 (an operator's own contact: tests/dashboard/test_operator_role.py).
    ("contact.set_status", "POST"): row(LOGIN, LOGIN, LOGIN, 403, 403, 404),
    ("contact.set_away", "POST"): OPERATOR_WRITE,
    # Users: supervisors only.
    ("users.index", "GET"): SUPERVISOR_READ,
    ("users.create", "POST"): SUPERVISOR_WRITE,
    ("users.set_role", "POST"): SUPERVISOR_WRITE,
    ("users.reset_password", "POST"): SUPERVISOR_WRITE,
    ("users.deactivate", "POST"): SUPERVISOR_WRITE,
    ("users.reactivate", "POST"): SUPERVISOR_WRITE,
    # Dashboard pages: managers and supervisors.
    ("overview.index", "GET"): STAFF_READ,
    ("overview.stats", "GET"): STAFF_READ,
    ("overview.stats_export", "GET"): STAFF_READ,
    ("board.index", "GET"): STAFF_READ,
    ("board.assign_form", "GET"): STAFF_READ,
    ("board.export_csv", "GET"): STAFF_READ,
    ("board.lead", "GET"): STAFF_READ,
    # Possible duplicates and merging: managers meet duplicates on the board, so both roles
    # (the confirm step without its arguments is a 422 page with inline errors).
    ("leads.duplicates", "GET"): STAFF_READ,
    ("leads.confirm_merge", "GET"): STAFF_WRITE,
    ("leads.merge", "POST"): STAFF_WRITE,
    ("operators.index", "GET"): STAFF_READ,
    ("sources.index", "GET"): STAFF_READ,
    ("sources.detail", "GET"): STAFF_READ,
    ("operators.detail", "GET"): STAFF_READ,
    # Board actions: managers hand out contacts, so both roles may.
    ("board.assign", "POST"): STAFF_WRITE,
    ("board.unassign", "POST"): STAFF_WRITE,
    ("board.set_status", "POST"): STAFF_WRITE,
    ("board.redistribute", "POST"): STAFF_WRITE,
    ("board.bulk", "POST"): STAFF_WRITE,
    # Own settings (language, time zone): every signed-in user.
    ("settings.index", "GET"): SIGNED_IN_READ,
    ("settings.index", "POST"): SIGNED_IN_WRITE,
    ("settings.set_language", "POST"): SIGNED_IN_WRITE,
    # Operators, weights, sources and tokens: supervisors only.
    ("operators.create", "POST"): SUPERVISOR_WRITE,
    ("operators.set_status", "POST"): SUPERVISOR_WRITE,
    ("operators.set_limit", "POST"): SUPERVISOR_WRITE,
    ("operators.rename", "POST"): SUPERVISOR_WRITE,
    ("operators.hand_over", "POST"): SUPERVISOR_WRITE,
    ("sources.rename", "POST"): SUPERVISOR_WRITE,
    ("sources.set_active", "POST"): SUPERVISOR_WRITE,
    ("availability.show", "GET"): STAFF_READ,
    ("availability.set_schedule", "POST"): SUPERVISOR_WRITE,
    ("availability.add_absence", "POST"): SUPERVISOR_WRITE,
    ("availability.delete_absence", "POST"): SUPERVISOR_WRITE,
    ("sources.create", "POST"): SUPERVISOR_WRITE,
    ("sources.set_weight", "POST"): SUPERVISOR_WRITE,
    ("sources.set_routing", "POST"): SUPERVISOR_WRITE,
    ("sources.create_token", "POST"): SUPERVISOR_WRITE,
    ("sources.revoke_token", "POST"): SUPERVISOR_WRITE,
    # A source's "try it" mode: staff look; supervisors apply, plan and cancel.
    ("sandbox.try_weights", "GET"): STAFF_READ,
    ("sandbox.apply_weights", "POST"): SUPERVISOR_WRITE,
    ("sandbox.create_plan", "POST"): SUPERVISOR_WRITE,
    ("sandbox.cancel_plan", "POST"): SUPERVISOR_WRITE,
    ("sources.set_webhook", "POST"): SUPERVISOR_WRITE,
    ("sources.new_webhook_secret", "POST"): SUPERVISOR_WRITE,
    ("sources.send_test_webhook", "POST"): SUPERVISOR_WRITE,
    # The API: bearer tokens only; a session cookie is never enough.
    ("api.create_contact", "POST"): row(401, 201, 201, 401, 401, 401),
    ("api.list_contacts", "GET"): BOT_API_READ,
    ("api.get_contact", "GET"): BOT_API_READ,
    ("api.list_assignments", "GET"): BOT_API_READ,
    ("api.set_contact_operator", "PUT"): ADMIN_API,
    ("api.set_contact_status", "PUT"): ADMIN_API,
    ("api.redistribute", "POST"): ADMIN_API,
    ("api.list_leads", "GET"): ADMIN_API_READ,
    ("api.get_lead", "GET"): ADMIN_API_READ,
    ("api.list_duplicates", "GET"): ADMIN_API_READ,
    ("api.stats", "GET"): ADMIN_API_READ,
    ("api.simulate", "POST"): ADMIN_API,
    ("api.create_weight_plan", "POST"): ADMIN_API,
    ("api.list_weight_plans", "GET"): ADMIN_API_READ,
    ("api.cancel_weight_plan", "DELETE"): ADMIN_API,
    ("api.merge_lead", "POST"): ADMIN_API,
    ("api.create_operator", "POST"): ADMIN_API,
    ("api.list_operators", "GET"): ADMIN_API_READ,
    ("api.get_operator", "GET"): ADMIN_API_READ,
    ("api.update_operator", "PATCH"): ADMIN_API,
    ("api.set_operator_status", "PUT"): ADMIN_API,
    ("api.create_source", "POST"): ADMIN_API,
    ("api.list_sources", "GET"): ADMIN_API_READ,
    ("api.get_source", "GET"): ADMIN_API_READ,
    ("api.replace_weights", "PUT"): ADMIN_API,
    ("api.update_source", "PATCH"): ADMIN_API,
    ("api.new_webhook_secret", "POST"): ADMIN_API,
    ("api.create_absence", "POST"): ADMIN_API,
    ("api.list_absences", "GET"): ADMIN_API_READ,
    ("api.delete_absence", "DELETE"): ADMIN_API,
    ("api.list_deliveries", "GET"): ADMIN_API_READ,
}


@pytest.fixture
def app_config(app_config):
    return app_config | {"WTF_CSRF_ENABLED": False, "LOGIN_RATE_LIMIT": "1000 per minute"}


def routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_classified(app):
    unclassified = sorted(routes(app) - EXPECTED.keys())
    assert not unclassified, f"routes without a row in EXPECTED (classify them): {unclassified}"
    stale = sorted(EXPECTED.keys() - routes(app))
    assert not stale, f"rows in EXPECTED for routes that no longer exist: {stale}"


# --- The world the requests act on ------------------------------------------------


@pytest.fixture
def world(app):
    """Rows for every path argument, two dashboard users and two tokens."""
    anna = make_operator("Anna", limit=10)
    boris = make_operator("Boris", limit=10)
    source = make_source("Telegram", weights={anna: 1})
    contact = make_contact(source, external_id="tg-1", message="hello")
    spare_token = make_token("spare", source_id=source.id)[0]
    make_user("mia", PASSWORD, "manager")
    make_user("sam", PASSWORD, "supervisor")
    # By the time the walk reaches the contact page, the API has handed the contact to Boris.
    make_user("ola", PASSWORD, "operator", operator_id=boris.id)
    spare_user = make_user("spare", PASSWORD, "manager")
    future = datetime(2099, 1, 1, tzinfo=UTC)
    plan = committed(weight_plans.create_plan, source.id, [(anna.id, 2)], future, None, SYSTEM, future)
    # Long past: Boris is not absent now, and the admin may delete it.
    past = committed(schedules.add_absence, boris.id, datetime(2020, 1, 1, tzinfo=UTC),
                     datetime(2020, 1, 2, tzinfo=UTC), None)
    return {
        "path": {
            "contact_id": contact.id,
            "lead_id": contact.lead_id,
            "operator_id": boris.id,
            "source_id": source.id,
            "token_id": spare_token.id,
            "user_id": spare_user.id,
            "plan_id": plan.id,
            "absence_id": past.id,
            "filename": "css/app.css",
        },
        "anna": anna.id,
        "boris": boris.id,
        "source": source.id,
        "admin_token": make_token("admin", is_admin=True)[1],
        "bot_token": make_token("bot", source_id=source.id)[1],
    }


def request_body(endpoint: str, world: dict, caller: str):
    """(json, form) for a request that would succeed for a caller who may make it."""
    unique = f"{caller}-{endpoint}"
    json_bodies = {
        "api.create_contact": {"external_id": unique, "source_id": world["source"]},
        "api.set_contact_operator": {"operator_id": world["boris"], "force": True},
        "api.set_contact_status": {"status": "in_progress"},
        "api.redistribute": {},
        "api.merge_lead": {"lead_id": world["path"]["lead_id"]},
        "api.create_operator": {"name": unique, "max_active_contacts": 3},
        "api.update_operator": {"max_active_contacts": 5},
        "api.set_operator_status": {"status": "active"},
        "api.create_source": {"name": unique},
        "api.replace_weights": {"weights": [{"operator_id": world["anna"], "weight": 2}]},
        "api.update_source": {"sticky_days": 3},
        "api.simulate": {"weights": [{"operator_id": world["anna"], "weight": 2}], "days": 3},
        "api.create_weight_plan": {"weights": [{"operator_id": world["anna"], "weight": 2}],
                                   "start": "2100-01-01T00:00:00Z", "end": None},
        "api.new_webhook_secret": {},
        "api.create_absence": {"start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"},
    }
    forms = {
        "auth.login": {"username": "nobody", "password": "wrong password"},
        "board.assign": {"operator_id": world["boris"], "force": "true"},
        "board.set_status": {"status": "in_progress"},
        "board.bulk": {"selected": f"{world['path']['contact_id']}:", "bulk_action": "unassign"},
        "operators.create": {"name": unique, "max_active_contacts": "3"},
        "operators.set_status": {"status": "active"},
        "operators.set_limit": {"max_active_contacts": "7"},
        "sources.create": {"name": unique},
        "sources.set_weight": {"weight": "3"},
        "sources.set_routing": {"auto_drain": "true", "sticky_days": "3"},
        "sources.create_token": {"name": unique},
        "sandbox.apply_weights": {f"weight-{world['anna']}": "2"},
        "sandbox.create_plan": {f"weight-{world['anna']}": "2", "start": "2100-01-01T00:00"},
        "sources.set_webhook": {"webhook_url": ""},
        "availability.set_schedule": {"always": "true"},
        "availability.add_absence": {"start": "2030-01-01T00:00", "end": "2030-01-02T00:00"},
    }
    if endpoint.startswith("api."):
        return json_bodies.get(endpoint), None
    return None, forms.get(endpoint, {})


SIGNED_IN = {"manager": "mia", "supervisor": "sam", "operator": "ola"}


class Callers:
    """One test client per caller; the session callers sign in through the real form."""

    def __init__(self, app, world):
        self.app = app
        self.world = world
        self.clients = {caller: app.test_client() for caller in CALLERS}
        for caller in SIGNED_IN:
            self.sign_in(caller)

    def sign_in(self, caller: str) -> None:
        username = SIGNED_IN[caller]
        client = self.app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.clients[caller] = client

    def open(self, caller: str, url: str, **kwargs):
        """One request as ``caller`` (each in its own app context: conftest's IsolatedClient)."""
        response = self.clients[caller].open(url, **kwargs)
        response.close()
        return response

    def call(self, caller: str, method: str, url: str, endpoint: str, form_changes: dict | None = None):
        """``form_changes`` replace or add fields of the form a dashboard POST sends."""
        headers = {}
        if caller in ("admin", "bot"):
            headers["Authorization"] = f"Bearer {self.world[caller + '_token']}"
        json_body, form = request_body(endpoint, self.world, caller)
        if form is not None and form_changes:
            form = form | form_changes
        kwargs = {"json": json_body} if json_body is not None else {"data": form} if form else {}
        response = self.open(caller, url, method=method, headers=headers, **kwargs)
        if endpoint in ("auth.logout", "auth.logout_everywhere") and caller in SIGNED_IN:
            self.sign_in(caller)  # signing out ended this client's session
        return response


def outcome_matches(response, expected) -> bool:
    location = response.headers.get("Location", "")
    to_login = response.status_code == 302 and location.startswith("/login")
    if expected == LOGIN:
        return to_login
    if expected == OK:
        reached = 200 <= response.status_code < 300 or response.status_code in (409, 422)
        return reached or (response.status_code in (302, 303) and not to_login)
    return response.status_code == expected


def test_authorization_matrix(app, world):
    """Every (route, method) × caller answers as the table says; all mismatches are listed."""
    callers = Callers(app, world)
    adapter = app.url_map.bind("localhost")
    mismatches = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        values = {name: world["path"][name] for name in rule.arguments}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = adapter.build(rule.endpoint, values, method=method)
            expected_row = EXPECTED[(rule.endpoint, method)]
            for caller in CALLERS:
                response = callers.call(caller, method, url, rule.endpoint)
                if not outcome_matches(response, expected_row[caller]):
                    got = f"{response.status_code} {response.headers.get('Location', '')}".strip()
                    expected = expected_row[caller]
                    mismatches.append(f"{method} {url} as {caller}: expected {expected}, got {got}")
    assert not mismatches, "\n".join(mismatches)


def test_api_ignores_a_session_cookie_even_with_a_token_of_a_bot(app, world):
    """A signed-in supervisor's cookie adds nothing to a bot token: still the bot's rights."""
    callers = Callers(app, world)
    headers = {"Authorization": f"Bearer {world['bot_token']}"}
    response = callers.open("supervisor", "/api/v1/operators", method="POST", headers=headers,
                            json={"name": "Sneaky", "max_active_contacts": 1})
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"


def test_htmx_request_without_session_gets_hx_redirect_not_a_page(app, world):
    """Every dashboard route behind the sign-in tells htmx to go to the form (nothing to swap into a cell)."""
    callers = Callers(app, world)
    adapter = app.url_map.bind("localhost")
    checked = 0
    for (endpoint, method), expected_row in EXPECTED.items():
        if expected_row["anonymous"] != LOGIN or endpoint == "auth.logout":
            continue
        rule = next(rule for rule in app.url_map.iter_rules(endpoint) if method in rule.methods)
        url = adapter.build(endpoint, {name: world["path"][name] for name in rule.arguments}, method=method)
        bearer = {"Authorization": f"Bearer {world['admin_token']}"}
        for caller, token in (("anonymous", {}), ("admin", bearer)):
            response = callers.open(caller, url, method=method, headers={"HX-Request": "true"} | token)
            assert response.status_code == 401, (method, url, caller)
            assert response.headers["HX-Redirect"].startswith("/login"), (method, url, caller)
            assert response.get_data() == b""
            checked += 1
    assert checked >= 2 * 20


def test_manager_cannot_change_a_weight_and_nothing_changes(app, world):
    """The 403 is a refusal, not a partial write."""
    callers = Callers(app, world)
    url = f"/sources/{world['source']}/weights/{world['anna']}"
    response = callers.open("manager", url, method="POST", data={"weight": "9"},
                            headers={"HX-Request": "true"})
    assert response.status_code == 403
    api = app.test_client()
    source = api.get(f"/api/v1/sources/{world['source']}",
                     headers={"Authorization": f"Bearer {world['admin_token']}"}).get_json()
    assert [(w["operator_id"], w["weight"]) for w in source["weights"]] == [(world["anna"], 1)]
