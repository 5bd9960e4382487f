"""Files that hold secrets or customer data, readable by their owner alone (0600) from the start.

Under the usual umask 022 a file is created world-readable (0644): the SQLite
database (customer data, password hashes, session tokens), the secret key and
the demo credentials would be. Each is created here with 0600 instead — never
chmod-ed afterwards, which would leave a moment when another user can open it.
SQLite gives the files it makes next to a database (``-wal``, ``-shm``,
``-journal``) the database file's own permissions, so those follow.
"""

from __future__ import annotations

import os
import tempfile

from sqlalchemy.engine import make_url

PRIVATE_MODE = 0o600


def create_private_file(path) -> bool:
    """Create ``path`` empty with mode 0600; False (and nothing changed) if it exists."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def publish_private_file(path, text: str) -> bool:
    """Create ``path`` holding ``text``, mode 0600, all at once; False if it exists (it is kept).

    The text goes to a temporary file (mkstemp: 0600) that is then hard-linked to
    ``path``: workers starting together never read a half-written file, and the
    first one to link wins.
    """
    descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".new-")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)


def write_private_file(path, text: str) -> None:
    """Write ``text`` to ``path``, mode 0600 (a file already there is emptied and restricted first)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    with os.fdopen(descriptor, "w") as handle:
        os.fchmod(handle.fileno(), PRIVATE_MODE)
        handle.write(text)


def create_sqlite_file(database_url: str, instance_path: str) -> None:
    """Create the file of a SQLite URL with mode 0600 before SQLite would create it 0644.

    A relative path counts from ``instance_path``, as Flask-SQLAlchemy reads it. Only
    a plain file path whose folder exists; an existing file is left as it is.
    """
    url = make_url(database_url)
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return
    if database.startswith("file:") or url.query.get("uri"):
        return  # a URI filename: SQLite parses it, not us
    path = os.path.join(instance_path, database)  # unchanged when database is absolute
    if os.path.isdir(os.path.dirname(path)):
        create_private_file(path)
