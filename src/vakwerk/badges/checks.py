"""System check: badges are signed with a real key in production (docs/badges.md).

Like the secret key (``vakwerk.shell.checks``): with DEBUG off, Vakwerk refuses to start
without a configured signing key, and with any setting it refuses a key it cannot use. The
ids are ``badges.E00x``.
"""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

KEY_HINT = (
    "Set VAKWERK_BADGE_SIGNING_KEY_FILE to a file with an Ed25519 private key in PEM "
    "(openssl genpkey -algorithm ed25519 -out badge-key.pem), or VAKWERK_BADGE_SIGNING_KEY "
    "to its text."
)


@register(Tags.security, deploy=False)
def badge_signing_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    from vakwerk.badges import keys

    if not settings.DEBUG and not settings.BADGE_SIGNING_KEY:
        return [Error("A badge signing key is required.", hint=KEY_HINT, id="badges.E001")]
    if not settings.BADGE_SIGNING_KEY and not settings.BADGE_RETIRED_KEYS:
        return []  # development: a key is generated on first use
    try:
        if settings.BADGE_SIGNING_KEY:
            keys.signing_key()
        keys.published_keys()
    except ImproperlyConfigured as error:
        return [Error(str(error), hint=KEY_HINT, id="badges.E002")]
    return []
