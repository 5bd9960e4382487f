"""The SQLite writers' queue: one holder at a time, a bounded wait, and nobody left holding it."""

from __future__ import annotations

import os
import threading

import pytest

from webapp.database import WriterQueue

pytestmark = pytest.mark.concurrency


def test_one_writer_at_a_time_and_the_next_gets_in_when_it_leaves(tmp_path):
    path = str(tmp_path / "db.sqlite3-writers.lock")
    first = WriterQueue(path, timeout=5).acquire()
    assert first is not None
    outcome = {}
    waiter = threading.Thread(target=lambda: outcome.setdefault("fd", WriterQueue(path, 10).acquire()))
    waiter.start()
    os.close(first)
    waiter.join(15)
    assert outcome["fd"] is not None
    os.close(outcome["fd"])


def test_a_writer_gives_up_after_the_timeout_and_its_place_is_passed_on(tmp_path):
    path = str(tmp_path / "db.sqlite3-writers.lock")
    holder = WriterQueue(path, timeout=5).acquire()
    assert WriterQueue(path, timeout=0.2).acquire() is None  # gave up; its helper still waits
    os.close(holder)
    later = WriterQueue(path, timeout=10).acquire()  # the abandoned waiter must not keep the lock
    assert later is not None
    os.close(later)


def test_no_lock_file_means_no_queue(tmp_path):
    assert WriterQueue(str(tmp_path / "missing-folder" / "x.lock"), timeout=1).acquire() is None
