"""Read-only queries behind the dashboard pages, one module per area.

A constant number of queries per page, none per row; every change goes through
``directory``, ``contacts``, ``distribution`` and ``tokens``. Counts come from
grouped queries keyed by id.
"""
