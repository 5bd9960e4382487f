"""Dashboard users: supervisors, managers and operators, with strongly hashed passwords."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.clock import utcnow
from webapp.errors import ConflictError, InvalidError, NotFoundError
from webapp.models import USER_ROLES, Operator, User, UserSession

# Werkzeug's default (scrypt N=2^15) is below OWASP ASVS's minimum; this is at it.
PASSWORD_METHOD = "pbkdf2:sha256:600000"
MIN_PASSWORD_LENGTH = 8
UNCHANGED = object()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def create_user(session, username: str, password: str, role: str, operator_id: int | None = None) -> User:
    """A new user; role ``operator`` needs ``operator_id`` (the operator they are), the others none."""
    if not username or len(username) > 80:
        raise _invalid("username", "A username is 1 to 80 characters.")
    _check_password(password)
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        message = f"User {username!r} already exists."
        raise ConflictError(message, errors=[{"field": "username", "message": message}])
    user = User(username=username, password_hash=hash_password(password))
    set_role(session, user, role, operator_id)
    session.add(user)
    session.flush()
    return user


def set_role(session, user: User, role: str, operator_id: int | None = None) -> User:
    """Give ``user`` a role; an operator user is linked to an existing operator, others to none.

    A changed role ends the user's sessions: what they may see changed under them.
    """
    if role not in USER_ROLES:
        raise _invalid("role", f"Role must be one of {', '.join(USER_ROLES)}.")
    if role == "operator":
        if operator_id is None:
            raise _invalid("operator_id", "An operator user needs the operator they are.")
        if session.get(Operator, operator_id) is None:
            raise _invalid("operator_id", f"Operator {operator_id} does not exist.")
    else:
        operator_id = None
    changed = user.id is not None and (user.role, user.operator_id) != (role, operator_id)
    user.role, user.operator_id = role, operator_id
    if changed:
        end_all_sessions(session, user.id)
    session.flush()
    return user


def deactivate(session, user: User) -> User:
    """The user cannot sign in any more and every session of theirs ends; their notes stay."""
    if user.deactivated_at is None:
        user.deactivated_at = utcnow()
    end_all_sessions(session, user.id)
    session.flush()
    return user


def reactivate(session, user: User) -> User:
    user.deactivated_at = None
    session.flush()
    return user


def _check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _invalid(field, f"A password is at least {MIN_PASSWORD_LENGTH} characters.")


def _invalid(field: str, message: str) -> InvalidError:
    return InvalidError(message, errors=[{"field": field, "message": message}])


def get_user_by_name(session, username: str) -> User:
    """The user called ``username``; NotFoundError if there is none."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFoundError(f"There is no user {username!r}.")
    return user


def set_password(session, user: User, password: str, field: str = "password") -> User:
    """Give ``user`` a new password and end every session they have (signing in takes the new one).

    A password shorter than MIN_PASSWORD_LENGTH raises InvalidError naming ``field``.
    """
    _check_password(password, field)
    user.password_hash = hash_password(password)
    end_all_sessions(session, user.id)
    session.flush()
    return user


def change_password(session, user_id: int, current_password: str, new_password: str) -> User:
    """A user's own change: ``current_password`` must match, then as ``set_password``.

    Raises InvalidError whose ``errors`` name the field at fault, ``current_password``
    or ``new_password``. The caller starts the session that replaces the ended ones.
    """
    user = session.get(User, user_id)
    if user is None or not check_password_hash(user.password_hash, current_password):
        raise _invalid("current_password", "The current password is wrong.")
    return set_password(session, user, new_password, field="new_password")


def verify_login(session, username: str, password: str) -> User | None:
    """The user if the password matches; None otherwise (same work either way)."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # keep timing the same for unknown names
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user if user.deactivated_at is None else None


_DUMMY_HASH = hash_password("not-a-real-password")


# --- Dashboard sessions (Flask-Login) ----------------------------------------
#
# The session cookie names a random token, not the user id. Each signed-in browser
# has a row of its own (UserSession), stored as the token's SHA-256, so a copy of
# a cookie is worth exactly as long as that row lives.


@dataclass(frozen=True)
class SessionUser:
    """The signed-in user as plain values, what Flask-Login keeps for a request."""

    id: int
    username: str
    role: str
    session_token: str
    locale: str | None = None
    timezone: str | None = None
    operator_id: int | None = None

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"


def _as_session_user(user: User, session_token: str) -> SessionUser:
    return SessionUser(user.id, user.username, user.role, session_token, user.locale, user.timezone,
                       user.operator_id)


def hash_session_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def start_session(session, user: User, previous_token: str | None = None) -> SessionUser:
    """A brand-new session for ``user``: a fresh token with a row of its own.

    ``previous_token`` is what this browser's cookie named before (it was signed in
    already, as anybody): that session ends, so a copy of the old cookie is dead.
    The user's sessions in other browsers stay.
    """
    if previous_token:
        end_session(session, previous_token)
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=hash_session_token(token)))
    session.flush()
    return _as_session_user(user, token)


def end_session(session, session_token: str) -> None:
    """Sign out the one browser whose cookie names ``session_token``."""
    session.execute(delete(UserSession).where(UserSession.token_hash == hash_session_token(session_token)))


def end_all_sessions(session, user_id: int) -> int:
    """Sign the user out everywhere: every cookie of theirs stops working. Returns how many ended."""
    return session.execute(delete(UserSession).where(UserSession.user_id == user_id)).rowcount


def set_preferences(session, user_id: int, *, locale=UNCHANGED, timezone=UNCHANGED) -> User:
    """Save the user's language and/or time zone; None means "the default" (browser, deployment)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"User {user_id} does not exist.")
    if locale is not UNCHANGED:
        user.locale = locale
    if timezone is not UNCHANGED:
        user.timezone = timezone
    session.flush()
    return user


def load_session_user(session, session_token: str) -> SessionUser | None:
    """The user a session cookie names, or None once that session has ended."""
    if not session_token:
        return None
    user = session.execute(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == hash_session_token(session_token))
        .where(User.deactivated_at.is_(None))
    ).scalar_one_or_none()
    return _as_session_user(user, session_token) if user is not None else None
