"""Fixtures of the API tests: tokens and clients that send them."""

from collections.abc import Callable

import pytest
from django.test import Client

from vakwerk.api.models import Scope
from vakwerk.api.services import api_token_create
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Organisation

ALL_SCOPES = list(Scope.values)


@pytest.fixture
def make_token(db: None) -> Callable[..., str]:
    """The plain text of a new token of ``organisation`` with ``scopes`` (all by default)."""

    def make(organisation: Organisation, scopes: list[str] | None = None) -> str:
        _, plain = api_token_create(
            organisation=organisation,
            actor=Actor(user=None),
            name="Test",
            scopes=ALL_SCOPES if scopes is None else scopes,
        )
        return plain

    return make


@pytest.fixture
def api_client(make_token: Callable[..., str]) -> Callable[..., Client]:
    """A client that sends a token of ``organisation`` with every request."""

    def make(organisation: Organisation, scopes: list[str] | None = None) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {make_token(organisation, scopes)}")

    return make
