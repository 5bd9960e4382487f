"""Domain errors, and the one table that gives each its HTTP status.

The API renders them as problem documents, the dashboard as inline messages or
an error page (``webapp.error_handlers``); both read the status from here.
"""


class DomainError(Exception):
    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class NotFoundError(DomainError):
    """The thing named by id does not exist."""


class ConflictError(DomainError):
    """The request conflicts with the current state (a duplicate name, a closed contact...)."""


class StaleError(DomainError):
    """The contact changed since the version the caller acted on (If-Match, the board's version)."""


class InvalidError(DomainError):
    """A field names a row that does not exist or breaks a rule; ``errors`` names the fields."""


class TooManyError(DomainError):
    """A limit was reached; the caller may retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


HTTP_STATUS = {
    NotFoundError: 404,
    ConflictError: 409,
    StaleError: 412,
    InvalidError: 422,
    TooManyError: 429,
    DomainError: 422,
}


def http_status(error: DomainError) -> int:
    """The status of the most specific class of ``error`` in ``HTTP_STATUS``."""
    return next(HTTP_STATUS[cls] for cls in type(error).__mro__ if cls in HTTP_STATUS)
