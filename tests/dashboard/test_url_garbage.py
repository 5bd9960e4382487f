"""No input in a URL or a form answers 5xx: every rule of ``app.url_map`` × every caller ×
garbage in each path argument and each query (or form) argument.

The rules, the callers and the rows their paths name are the authorization matrix's
(``test_authorization_matrix``); here only the inputs are wrong. A wrong input may be
refused (404, 422), ignored or redirected; it may never be a server error.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import quote, urlencode

from tests.dashboard import test_authorization_matrix as matrix

world = matrix.world  # the matrix's fixture: a row for every path argument, users and tokens

GARBAGE = (
    "²",  # a Unicode digit that str.isdigit() accepts and int() refuses
    "٣",  # an Arabic-Indic digit that int() reads as 3
    "99999999999999999999",  # past every integer column
    "9" * 5000,  # past int()'s limit on digits
    "-1",
    "0",
    "1.5",
    "",
)


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Cursors of the API's form ("c" + digits) holding what no id is.
GARBAGE_CURSORS = tuple(_cursor(text) for text in ("c²", "c٣", "c99999999999999999999", "c-1", "c", "x1"))

# The query or form arguments the views of each dashboard blueprint read: request.args,
# request.form, request.values and the fields of the models its forms are parsed with.
BOARD_FILTERS = ("source", "status", "operator")
DASHBOARD_ARGUMENTS = {
    "auth": ("next", "username", "password"),
    "board": BOARD_FILTERS
    + ("before", "after", "seen", "shown", "operator_id", "force", "set_status", "version", "reason", "back",
       "q", "sort", "selected", "bulk_action"),
    "contact": ("text", "set_status", "back", "status"),
    "users": ("username", "password", "role", "operator_id"),
    "operators": ("page", "name", "status", "max_active_contacts", "back"),
    "availability": ("always", "timezone", "start", "end", "note",
                     *(f"{edge}_{day}" for edge in ("start", "end") for day in range(7))),
    "sources": ("all", "name", "description", "weight", "active", "paused", "auto_drain", "sticky_days",
                "intake_per_minute", "wait_target_minutes", "response_timeout_minutes", "webhook_url"),
    "settings": ("locale", "next", "timezone"),
    "leads": ("into", "lead_id"),
    "overview": ("period", "from", "to", "source"),
    "sandbox": ("days", "start", "end", "weight-1", "limit-1"),
}

# Signing in and out read only text (username, password, next: no number to misread), and
# every call costs a password hash (signing out, the sign-in after it): no argument garbage.
TEXT_ONLY = {("auth.login", "POST"), ("auth.logout", "POST")}

PLACEHOLDER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def url_for_rule(rule, path_values: dict) -> str:
    """The rule's path with these raw values (no converter checks them)."""
    return PLACEHOLDER.sub(lambda match: quote(str(path_values[match[1]]), safe="/"), rule.rule)


def query_arguments(app, rule, method) -> tuple[str, ...]:
    """The arguments a rule's view reads from the query string or its form."""
    if (rule.endpoint, method) in TEXT_ONLY:
        return ()
    blueprint = rule.endpoint.partition(".")[0]
    if blueprint != "api":
        return DASHBOARD_ARGUMENTS.get(blueprint, ())
    operation = getattr(app.view_functions[rule.endpoint], "openapi", None)  # the API declares them
    return tuple(operation.query.model_fields) if operation and operation.query else ()


def garbage_for(rule) -> tuple[str, ...]:
    return GARBAGE + GARBAGE_CURSORS if rule.endpoint.startswith("api.") else GARBAGE


def bad_paths(rule, world):
    """URLs of the rule with garbage in one path argument at a time (the others name real rows)."""
    for name in rule.arguments:
        for value in GARBAGE:
            yield url_for_rule(rule, world["path"] | {name: value})


def refused_before_the_view(response) -> bool:
    """Sent to sign in, or refused by the permission check: no argument was read."""
    to_login = response.status_code == 302 and response.headers.get("Location", "").startswith("/login")
    return to_login or response.status_code in (401, 403)


class Walk:
    """Sends requests as each caller and keeps every 5xx."""

    def __init__(self, app, world):
        self.callers = matrix.Callers(app, world)
        self.server_errors: list[str] = []

    def send(self, caller, method, rule, url, form_changes=None):
        form_changes = form_changes if method == "POST" else None
        response = self.callers.call(caller, method, url, rule.endpoint, form_changes)
        if response.status_code >= 500:
            sent = f" form {form_changes!r:.120}" if form_changes else ""
            self.server_errors.append(f"{method} {url[:160]}{sent} as {caller}: {response.status_code}")
        return response

    def arguments(self, app, caller, method, rule, world):
        """Garbage in every argument at once; then, past the permission check, in each alone."""
        names = query_arguments(app, rule, method)
        if not names:
            return
        url = url_for_rule(rule, world["path"])
        for value in garbage_for(rule):
            everything = dict.fromkeys(names, value)
            response = self.send(caller, method, rule, f"{url}?{urlencode(everything)}", everything)
            if refused_before_the_view(response):
                continue
            for name in names:
                self.send(caller, method, rule, f"{url}?{urlencode({name: value})}", {name: value})


def test_no_garbage_in_a_path_query_or_form_answers_5xx(app, world):
    walk = Walk(app, world)
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for caller in matrix.CALLERS:
                for url in bad_paths(rule, world):
                    walk.send(caller, method, rule, url)
                walk.arguments(app, caller, method, rule, world)
    assert not walk.server_errors, "\n".join(walk.server_errors)


def test_the_walk_knows_every_argument_a_dashboard_view_reads():
    """A new ``int_arg(..., "x")`` or ``request.form.get("x")`` must join DASHBOARD_ARGUMENTS."""
    read = re.compile(r"""(?:(?:args|form|values)\.get\(|form\[|int_arg\([\w.]+, )"(\w+)\"""")
    blueprints = Path(__file__).parents[2] / "webapp" / "blueprints"
    unknown, found = [], 0
    for module in sorted(blueprints.glob("*.py")):
        if module.stem.startswith("api"):
            continue
        names = set(read.findall(module.read_text()))
        found += len(names)
        known = set(DASHBOARD_ARGUMENTS.get(module.stem, ()))
        unknown += [f"{module.stem}: {argument}" for argument in sorted(names - known)]
    assert found, "the pattern found nothing: it no longer matches how views read arguments"
    assert not unknown, unknown


HUGE = "99999999999999999999"


def test_the_inputs_of_issue_9_are_ignored_or_refused(app, world):
    """Each URL the issue found answering 500: a bad filter is ignored, a bad id is a 404 whatever
    the method (never werkzeug's 405 of a path that takes other methods), a bad cursor a 422."""
    callers = matrix.Callers(app, world)
    contact, source = world["path"]["contact_id"], world["path"]["source_id"]
    filters = [("GET", f"/contacts?{name}=²", {}, 200) for name in ("source", "operator", "before", "seen")]
    as_supervisor = [
        ("GET", "/operators/?page=²", {}, 200),
        *filters,
        ("GET", f"/contacts/{contact}/assign?operator_id=²", {}, 200),
        ("GET", "/contacts/export.csv?source=²", {}, 200),
        ("POST", "/contacts/redistribute", {"source": "²"}, 302),
        ("GET", f"/sources/{HUGE}", {}, 404),
        ("GET", f"/leads/{HUGE}", {}, 404),
        ("GET", f"/contacts/{HUGE}/assign", {}, 404),
        ("POST", f"/operators/{HUGE}/status", {"status": "active"}, 404),
        ("POST", f"/sources/{source}/tokens/{HUGE}/revoke", {}, 404),
    ]
    as_admin = [
        ("GET", f"/api/v1/contacts/?cursor={_cursor('c²')}", {}, 422),
        ("PATCH", f"/api/v1/operators/{2**31}", {}, 404),
        ("GET", f"/api/v1/contacts/{HUGE}", {}, 404),
    ]
    bearer = {"Authorization": f"Bearer {world['admin_token']}"}
    answers, expected = [], []
    for caller, headers, requests in (("supervisor", {}, as_supervisor), ("admin", bearer, as_admin)):
        for method, url, form, status in requests:
            response = callers.open(caller, url, method=method, data=form, headers=headers)
            answers.append((method, url, response.status_code))
            expected.append((method, url, status))
    assert answers == expected
