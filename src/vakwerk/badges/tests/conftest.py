import pytest

from vakwerk.badges.tests.support import new_pem

PEM = new_pem()


@pytest.fixture(autouse=True)
def _badge_key(settings):
    """A fixed signing key for the badge tests (not the development key under var/)."""
    settings.BADGE_SIGNING_KEY = PEM
    settings.BADGE_RETIRED_KEYS = ""
