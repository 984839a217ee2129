"""The signing key: refused when missing in production, generated once in development."""

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from vakwerk.badges import keys
from vakwerk.badges.tests.support import new_pem

pytestmark = pytest.mark.django_db


def badge_errors() -> set[str]:
    return {str(m.id) for m in run_checks(include_deployment_checks=False)} & {
        "badges.E001",
        "badges.E002",
    }


def test_production_without_a_signing_key_is_refused(settings):
    settings.DEBUG = False
    settings.BADGE_SIGNING_KEY = ""
    assert badge_errors() == {"badges.E001"}


def test_a_key_that_is_not_ed25519_is_refused(settings):
    settings.BADGE_SIGNING_KEY = (
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----"
    )
    assert badge_errors() == {"badges.E002"}


def test_production_with_a_signing_key_passes(settings):
    settings.DEBUG = False
    settings.BADGE_SIGNING_KEY = new_pem()
    settings.BADGE_RETIRED_KEYS = new_pem()
    assert badge_errors() == set()


def test_development_generates_a_key_once_and_keeps_it(settings, tmp_path):
    settings.BADGE_SIGNING_KEY = ""
    settings.BADGE_DEV_KEY_FILE = str(tmp_path / "var" / "badge.pem")
    first = keys.signing_pem()
    assert "PRIVATE KEY" in first
    assert (tmp_path / "var" / "badge.pem").stat().st_mode & 0o077 == 0
    assert keys.signing_pem() == first
    assert list((tmp_path / "var").iterdir()) == [tmp_path / "var" / "badge.pem"]


def test_without_any_key_signing_stops(settings):
    settings.BADGE_SIGNING_KEY = ""
    settings.BADGE_DEV_KEY_FILE = ""
    with pytest.raises(ImproperlyConfigured):
        keys.signing_key()
