"""The rate limit per token: 429 problem+json with Retry-After once a minute's share is used."""

import pytest
from django.test import Client

from vakwerk.api import nlgov

pytestmark = pytest.mark.django_db


@pytest.fixture
def stopped_clock(monkeypatch):
    """20 seconds into a minute, for every request of the test."""
    monkeypatch.setattr(nlgov, "clock", lambda: 1_800_000_020.0)


def test_a_token_over_its_limit_gets_429_with_retry_after(
    api_client, organisation, settings, stopped_clock, english
):
    settings.API_RATE_LIMIT = 2
    client = api_client(organisation)
    assert client.get("/api/v1/teams").status_code == 200
    assert client.get("/api/v1/teams").status_code == 200
    response = client.get("/api/v1/teams")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/problem+json")
    assert response["Retry-After"] == "40"
    assert response["API-Version"] == nlgov.API_VERSION
    body = response.json()
    assert body["status"] == 429
    assert "40 seconds" in body["detail"]


def test_the_limit_is_per_token(api_client, organisation, settings, stopped_clock):
    settings.API_RATE_LIMIT = 1
    first, second = api_client(organisation), api_client(organisation)
    assert first.get("/api/v1/teams").status_code == 200
    assert first.get("/api/v1/teams").status_code == 429
    assert second.get("/api/v1/teams").status_code == 200


def test_a_new_minute_starts_a_new_count(api_client, organisation, settings, monkeypatch):
    settings.API_RATE_LIMIT = 1
    client = api_client(organisation)
    monkeypatch.setattr(nlgov, "clock", lambda: 1_800_000_059.0)
    assert client.get("/api/v1/teams").status_code == 200
    assert client.get("/api/v1/teams").status_code == 429
    monkeypatch.setattr(nlgov, "clock", lambda: 1_800_000_061.0)
    assert client.get("/api/v1/teams").status_code == 200


def test_zero_switches_the_limit_off(api_client, organisation, settings, stopped_clock):
    settings.API_RATE_LIMIT = 0
    client = api_client(organisation)
    assert all(client.get("/api/v1/teams").status_code == 200 for _ in range(3))


def test_the_public_document_is_not_limited(db, settings, stopped_clock):
    settings.API_RATE_LIMIT = 1
    assert all(Client().get("/api/v1/openapi.json").status_code == 200 for _ in range(2))
