"""The CSV export runs every cell through spreadsheet.safe_cell (each variant: tests/test_spreadsheet.py)."""

from __future__ import annotations

import csv
import io

from tests.builders import make_contact, make_source


def test_export_neutralises_every_formula_start_and_keeps_phone_numbers(supervisor):
    source = make_source("Telegram bot")
    names = ["  =1+1", "\n=1+1", "\uff1d1+1", "|calc", "\u200b@SUM(A1)", "Ivan"]
    for number, name in enumerate(names):
        make_contact(source, f"tg-{number}", name=name, phone="+7 912 345-67-89",
                     message=f"\t=cmd {number}")
    response = supervisor.get("/contacts/export.csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))
    exported = {row["lead_external_id"]: row for row in rows}
    assert [exported[f"tg-{number}"]["lead_name"] for number in range(len(names))] == [
        "'  =1+1", "'\n=1+1", "'\uff1d1+1", "'|calc", "'\u200b@SUM(A1)", "Ivan",
    ]
    assert {row["phone"] for row in rows} == {"+79123456789"}  # stored in E.164, not neutralised
    assert all(row["message"].startswith("'\t=cmd") for row in rows)
