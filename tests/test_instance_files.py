"""Files under instance/ hold customer data, password hashes and session tokens: only their owner
may read them (0600), from the moment they exist, under the usual umask 022."""

from __future__ import annotations

import os
import stat
import sys
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from webapp import create_app
from webapp.config import ensure_secret_key
from webapp.extensions import db
from webapp.private_files import create_sqlite_file


@pytest.fixture(autouse=True)
def usual_umask():
    previous = os.umask(0o022)  # what most systems give a service: files 0644 unless asked otherwise
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --- Watching a folder while code writes into it ------------------------------------------
# A file that is created readable and chmod-ed afterwards ends up 0600 too: only watching
# it on the way tells the two apart. Python's audit hooks report every file operation
# (open, chmod, link, rename, remove...) before it happens; at each one the watcher notes
# the modes of the files in the folder. A hook cannot be removed, so it stays idle
# unless a test is watching.

_watching: list[tuple[str, dict[str, set[int]]]] = []
_in_hook = []


def _note_modes(event, _args):
    if not _watching or _in_hook or not event.startswith(("open", "os.", "shutil.", "tempfile.")):
        return
    _in_hook.append(True)  # the scan below raises audit events of its own
    try:
        folder, seen = _watching[-1]
        with os.scandir(folder) as entries:
            for entry in entries:
                seen.setdefault(entry.name, set()).add(stat.S_IMODE(entry.stat().st_mode))
    except FileNotFoundError:
        pass
    finally:
        _in_hook.pop()


sys.addaudithook(_note_modes)


@contextmanager
def modes_seen_in(folder):
    """{file name: every mode it had whenever a file operation happened}, while the block runs."""
    seen: dict[str, set[int]] = {}
    _watching.append((str(folder), seen))
    try:
        yield seen
    finally:
        _watching.pop()


# --- The tests ----------------------------------------------------------------------------


def test_the_secret_key_is_private_from_the_moment_it_exists(tmp_path):
    config = {}
    with modes_seen_in(tmp_path) as seen:
        ensure_secret_key(config, str(tmp_path))
    assert mode(tmp_path / "secret_key") == 0o600
    assert seen and all(modes == {0o600} for modes in seen.values()), seen
    assert len(config["SECRET_KEY"]) == 64
    again = {}
    ensure_secret_key(again, str(tmp_path))  # a second start reads the same key
    assert again["SECRET_KEY"] == config["SECRET_KEY"]
    assert sorted(os.listdir(tmp_path)) == ["secret_key"]  # no temporary file left behind


def test_a_new_sqlite_database_and_its_wal_and_shm_are_private(tmp_path):
    path = tmp_path / "leadcrm.sqlite3"
    with modes_seen_in(tmp_path) as seen:
        app = create_app({"DATABASE_URL": f"sqlite:///{path}", "TESTING": True, "SECRET_KEY": "x"})
        with app.app_context():
            assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
            with db.engine.connect() as connection:  # WAL: -wal and -shm exist while it is open
                assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == 0
                files = {name: mode(tmp_path / name) for name in os.listdir(tmp_path)}
            db.engine.dispose()
    assert {"leadcrm.sqlite3", "leadcrm.sqlite3-wal", "leadcrm.sqlite3-shm"} <= files.keys()
    assert files == dict.fromkeys(files, 0o600)
    assert all(modes == {0o600} for modes in seen.values()), seen


def test_a_relative_sqlite_path_counts_from_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    create_sqlite_file("sqlite:///data.sqlite3", str(tmp_path / "instance-like"))
    assert not (tmp_path / "data.sqlite3").exists()  # not in the working folder
    (tmp_path / "instance-like").mkdir()
    create_sqlite_file("sqlite:///data.sqlite3", str(tmp_path / "instance-like"))
    assert mode(tmp_path / "instance-like" / "data.sqlite3") == 0o600


def test_an_existing_database_file_is_left_as_it_is(tmp_path):
    path = tmp_path / "shared.sqlite3"
    path.write_bytes(b"")
    path.chmod(0o640)  # an operator's deliberate choice (a backup group, say)
    create_sqlite_file(f"sqlite:///{path}", str(tmp_path))
    assert mode(path) == 0o640
