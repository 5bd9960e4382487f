"""Dashboard users: supervisors and managers, with strongly hashed passwords."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.errors import ConflictError, InvalidError, NotFoundError
from webapp.models import USER_ROLES, User

# Werkzeug's default (scrypt N=2^15) is below OWASP ASVS's minimum; this is at it.
PASSWORD_METHOD = "pbkdf2:sha256:600000"
MIN_PASSWORD_LENGTH = 8
UNCHANGED = object()


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def create_user(session, username: str, password: str, role: str) -> User:
    if role not in USER_ROLES:
        raise InvalidError(f"Role must be one of {', '.join(USER_ROLES)}.")
    if not username or len(username) > 80:
        raise InvalidError("A username is 1 to 80 characters.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidError(f"A password is at least {MIN_PASSWORD_LENGTH} characters.")
    if session.execute(select(User).where(User.username == username)).scalar_one_or_none():
        raise ConflictError(f"User {username!r} already exists.")
    user = User(username=username, password_hash=hash_password(password), role=role)
    session.add(user)
    session.flush()
    return user


def verify_login(session, username: str, password: str) -> User | None:
    """The user if the password matches; None otherwise (same work either way)."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # keep timing the same for unknown names
        return None
    return user if check_password_hash(user.password_hash, password) else None


_DUMMY_HASH = hash_password("not-a-real-password")


# --- Dashboard sessions (Flask-Login) ----------------------------------------


@dataclass(frozen=True)
class SessionUser:
    """The signed-in user as plain values, what Flask-Login keeps for a request."""

    id: int
    username: str
    role: str
    session_token: str
    locale: str | None = None
    timezone: str | None = None

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


def _as_session_user(user: User) -> SessionUser:
    return SessionUser(user.id, user.username, user.role, user.session_token, user.locale, user.timezone)


def start_session(session, user: User) -> SessionUser:
    """The identity to put in a fresh session; issues the user's session token if there is none."""
    if user.session_token is None:
        user.session_token = secrets.token_urlsafe(32)
        session.flush()
    return _as_session_user(user)


def end_sessions(session, user_id: int) -> None:
    """Sign the user out everywhere: a new token makes every earlier session cookie invalid."""
    user = session.get(User, user_id)
    if user is not None:
        user.session_token = secrets.token_urlsafe(32)
    session.flush()


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
    if not session_token:
        return None
    user = session.execute(select(User).where(User.session_token == session_token)).scalar_one_or_none()
    return _as_session_user(user) if user is not None else None
