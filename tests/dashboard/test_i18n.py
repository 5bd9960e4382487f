"""Language and time zone of the dashboard: Accept-Language, the user's saved choice, the user's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update

from tests.builders import make_contact, make_source
from tests.dashboard.conftest import get, post
from webapp.extensions import db
from webapp.models import Contact, Lead
from webapp.queries import reports

RU = {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"}


def test_english_without_accept_language(supervisor):
    page = get(supervisor, "/")
    assert page.text("h1") == "Overview"
    assert page.soup.html["lang"] == "en"


def test_accept_language_ru_gives_the_overview_in_russian(supervisor):
    make_source("Telegram")
    page = get(supervisor, "/", headers=RU)
    assert page.soup.html["lang"] == "ru"
    assert page.text("h1") == "Обзор"
    assert page.text("[data-testid=tile-open] .tile-label") == "Открытые контакты"
    assert "Контакты за сегодня по источникам" in page.text("[data-testid=contacts-today] h2")
    assert page.text("[data-testid=load-per-operator] [data-testid=empty]").startswith("Операторов пока нет.")


def test_sign_in_page_follows_the_browser(app):
    page = get(app.test_client(), "/login", headers=RU)
    assert page.text("h1") == "Войти"


def test_a_saved_choice_wins_over_the_browser(supervisor):
    switched = post(supervisor, "/settings/language", {"locale": "en", "next": "/operators/"}, headers=RU)
    assert switched.status == 302 and switched.response.location.endswith("/operators/")
    assert get(supervisor, "/", headers=RU).text("h1") == "Overview"
    post(supervisor, "/settings/language", {"locale": "ru"})
    assert get(supervisor, "/").text("h1") == "Обзор"
    post(supervisor, "/settings/language", {"locale": ""})  # back to the browser's
    assert get(supervisor, "/").text("h1") == "Overview"


def test_flashes_and_form_errors_are_translated(supervisor):
    post(supervisor, "/settings/language", {"locale": "ru"})
    page = post(supervisor, "/operators/", {"name": "", "max_active_contacts": "-1"}, status=422)
    assert page.text("[data-testid=error-name]") == "Это поле обязательно."
    assert page.text("[data-testid=error-max_active_contacts]") == "Значение должно быть не меньше 0."
    created = {"name": "Anna", "max_active_contacts": "3"}
    page = post(supervisor, "/operators/", created, follow_redirects=True)
    assert "Оператор Anna создан." in page.flashes


def test_the_open_redirect_is_refused_by_the_language_switch(supervisor):
    switched = post(supervisor, "/settings/language", {"locale": "ru", "next": "//evil.example/"})
    assert switched.status == 302 and switched.response.location == "/"


def _lead_seen_at(moment: datetime) -> int:
    contact = make_contact(make_source("Site"))
    db.session.execute(update(Lead).where(Lead.id == contact.lead_id).values(created_at=moment))
    db.session.execute(update(Contact).where(Contact.id == contact.id).values(created_at=moment))
    db.session.commit()
    return contact.lead_id


def test_times_are_shown_in_the_users_time_zone(supervisor):
    lead_id = _lead_seen_at(datetime(2026, 1, 15, 12, 30, tzinfo=UTC))
    assert "12:30" in get(supervisor, f"/leads/{lead_id}").text("[data-testid=lead-card]")  # default: UTC
    saved = post(supervisor, "/settings/", {"locale": "ru", "timezone": "Asia/Tokyo"})
    assert saved.status == 302
    page = get(supervisor, f"/leads/{lead_id}")
    assert "15 янв. 2026 г., 21:30:00" in page.text("[data-testid=lead-card]")
    assert page.one("[data-testid=history-row] time")["datetime"].startswith("2026-01-15T12:30")


def test_the_deployment_default_time_zone_applies_to_users_without_one(app, supervisor):
    app.config["DEFAULT_TIMEZONE"] = "Europe/Moscow"
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Moscow"
    lead_id = _lead_seen_at(datetime(2026, 1, 15, 12, 30, tzinfo=UTC))
    assert "3:30:00" in get(supervisor, f"/leads/{lead_id}").text("[data-testid=lead-card]")


def test_an_unknown_time_zone_is_refused(supervisor):
    page = post(supervisor, "/settings/", {"timezone": "Mars/Olympus"}, status=422)
    assert page.text("[data-testid=error-timezone]") == "Choose a time zone from the list."


def test_stats_days_are_days_of_the_time_zone(app, monkeypatch):
    # 21:30 UTC on the 14th is already the 15th in Moscow (UTC+3).
    monkeypatch.setattr("webapp.queries.today.utcnow", lambda: datetime(2026, 1, 15, 9, 0, tzinfo=UTC))
    source = make_source("Late")
    contact = make_contact(source)
    db.session.execute(update(Contact).where(Contact.id == contact.id)
                       .values(created_at=datetime(2026, 1, 14, 21, 30, tzinfo=UTC)))
    db.session.commit()
    moscow = ZoneInfo("Europe/Moscow")
    in_moscow = reports.contacts_per_source_per_day(db.session, 2, moscow)
    assert in_moscow == {source.id: {date(2026, 1, 15): 1}}
    in_utc = reports.contacts_per_source_per_day(db.session, 2, UTC)
    assert in_utc == {source.id: {date(2026, 1, 14): 1}}
