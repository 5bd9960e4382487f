"""API tokens: random, shown once, stored only as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from webapp.clock import utcnow
from webapp.directory import get_existing
from webapp.errors import InvalidError
from webapp.models import ApiToken, Source

TOKEN_PREFIX = "lcrm_"
# lcrm_ plus 6 random characters: enough to tell two tokens apart, far too few to guess one.
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 6
# Writing last_used_at on every call would make every GET a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenIdentity:
    """Who is calling, as plain values that outlive the database session."""

    token_id: int
    name: str
    is_admin: bool
    source_id: int | None
    # last_used_at is older than LAST_USED_RESOLUTION: the caller records this use.
    use_unrecorded: bool = False

    def reads_customer_of(self, lead) -> bool:
        """Whether this token sees the lead's email, phone and name: an admin token always, a
        source token while every contact of the lead came through its own source."""
        return self.is_admin or lead.sole_source_id == self.source_id


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session, name: str, *, is_admin: bool = False, source_id: int | None = None):
    """Create a token; returns (row, the token in clear - shown this once)."""
    if is_admin == (source_id is not None):
        raise InvalidError("A token is either an admin token or a source token.")
    if source_id is not None:
        get_existing(session, Source, source_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 bits
    row = ApiToken(name=name, token_hash=hash_token(token), prefix=token[:SHOWN_PREFIX_LENGTH],
                   is_admin=is_admin, source_id=source_id)
    session.add(row)
    session.flush()
    return row, token


def revoke_token(session, token_id: int) -> ApiToken:
    row = get_existing(session, ApiToken, token_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    session.flush()
    return row


def authenticate(session, token: str) -> TokenIdentity | None:
    """The identity behind a bearer token, or None for an unknown or revoked one."""
    row = session.connection().execute(_TOKEN_BY_HASH, {"token_hash": hash_token(token)}).first()
    return identity_of(row)


def identity_of(values) -> TokenIdentity | None:
    """The identity of the values of ``TOKEN_COLUMNS``, in order (read by ``authenticate`` or
    within another query); None for no values, no token or a revoked one."""
    if not values or values[0] is None:
        return None
    token_id, name, is_admin, source_id, revoked_at, last_used_at = values
    if revoked_at is not None:
        return None
    stale = last_used_at is None or utcnow() - last_used_at > LAST_USED_RESOLUTION
    return TokenIdentity(token_id, name, is_admin, source_id, use_unrecorded=stale)


TOKEN_COLUMNS = (
    ApiToken.id, ApiToken.name, ApiToken.is_admin, ApiToken.source_id, ApiToken.revoked_at,
    ApiToken.last_used_at,
)
# Built once: every API call runs it.
_TOKEN_BY_HASH = select(*TOKEN_COLUMNS).where(ApiToken.token_hash == bindparam("token_hash"))


def record_use(session, token_id: int) -> None:
    """Note when a token was last used, inside the caller's write transaction."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def source_tokens(source_id: int):
    """The tokens of one source, newest first."""
    return select(ApiToken).where(ApiToken.source_id == source_id).order_by(ApiToken.id.desc())
