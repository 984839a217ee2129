"""Fixtures shared by every test module."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir

from vakwerk.accounts.models import User
from vakwerk.accounts.services import totp_enrol
from vakwerk.frameworks.models import FrameworkVersion
from vakwerk.organisations.models import Organisation, Role
from vakwerk.tests.factories import MembershipFactory, OrganisationFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

# Property tests are deterministic and bounded: the same examples on every run and in CI, no
# example database, and Hypothesis's caches under var/ rather than a .hypothesis in the tree.
hypothesis_settings.register_profile(
    "vakwerk", derandomize=True, max_examples=60, deadline=None, database=None
)
hypothesis_settings.load_profile("vakwerk")
set_hypothesis_home_dir(Path(__file__).resolve().parent.parent.parent / "var" / "hypothesis")


def pytest_configure() -> None:
    # The SQLite test database is a file under var/ (see settings.DATABASES).
    (Path(__file__).resolve().parent.parent.parent / "var").mkdir(exist_ok=True)


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_cached_scenario_graphs() -> None:
    """Each test starts with an empty per-process graph cache, so query counts do not depend
    on which test ran before."""
    from vakwerk.practice.selectors import forget_graphs

    forget_graphs()


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings: Any) -> None:
    """Tasks run in the process that enqueues them, so no test needs a worker."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def english(settings: Any) -> Iterator[None]:
    """For tests that assert on messages: English, the source language (Dutch is the default
    and its catalogue is compiled)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


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


@pytest.fixture
def framework_version(organisation: Organisation) -> FrameworkVersion:
    """The shipped 3.0 framework plus core values, adopted and published in ``organisation``,
    with its eight starter role profiles."""
    from vakwerk.audit.services import Actor
    from vakwerk.frameworks import services
    from vakwerk.frameworks.content import shipped_pack

    actor = Actor(user=None)
    framework_pack = shipped_pack("ambtelijk-vakmanschap-3.0")
    values_pack = shipped_pack("kernwaarden-modelgedragscode")
    assert framework_pack is not None
    assert values_pack is not None
    framework = services.framework_adopt_pack(
        organisation=organisation, actor=actor, pack=framework_pack
    )
    version = framework.versions.get()
    services.framework_add_pack(version=version, actor=actor, pack=values_pack)
    services.framework_publish(version=version, actor=actor)
    version.refresh_from_db()
    return version
