"""Domain errors: the API turns them into problem documents, the dashboard into messages."""


class DomainError(Exception):
    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class NotFoundError(DomainError):
    """The thing named by id does not exist."""


class ConflictError(DomainError):
    """The request conflicts with the current state (a duplicate name, a closed contact...)."""


class InvalidError(DomainError):
    """A field names a row that does not exist or breaks a rule; ``errors`` names the fields."""
