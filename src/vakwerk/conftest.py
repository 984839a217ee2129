"""Fixtures shared by every test module."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from vakwerk.accounts.models import User
from vakwerk.accounts.services import totp_enrol
from vakwerk.organisations.models import Organisation, Role
from vakwerk.tests.factories import MembershipFactory, OrganisationFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def organisation(db: None) -> Organisation:
    return OrganisationFactory()


@pytest.fixture
def other_organisation(db: None) -> Organisation:
    return OrganisationFactory()


@pytest.fixture
def member_client(db: None) -> Callable[..., tuple[Client, User]]:
    """A logged-in client for a new user with ``roles`` in ``organisation``.

    Users with HR or administrator roles are enrolled in TOTP unless ``mfa=False``.
    """

    def make(organisation: Organisation, *roles: Role, mfa: bool = True) -> tuple[Client, User]:
        membership = MembershipFactory(organisation=organisation, roles=roles or [Role.EMPLOYEE])
        user = membership.user
        if mfa and membership.needs_mfa:
            totp_enrol(user=user, secret=TOTP_SECRET)
        client = Client()
        client.force_login(user)
        return client, user

    return make
