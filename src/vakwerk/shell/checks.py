"""System checks that refuse a dangerous production configuration."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

DEV_KEY_HINT = "Set VAKWERK_SECRET_KEY (or VAKWERK_SECRET_KEY_FILE) to 50+ random characters."


@register(Tags.security, deploy=False)
def production_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.DEBUG:
        return []
    errors = []
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY or len(settings.SECRET_KEY) < 50:
        errors.append(Error("A real secret key is required.", hint=DEV_KEY_HINT, id="vakwerk.E001"))
    if not settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                "ALLOWED_HOSTS must name this server's host names.",
                hint="Set VAKWERK_ALLOWED_HOSTS, e.g. vakwerk.gemeente.nl.",
                id="vakwerk.E002",
            )
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        errors.append(
            Error(
                "Cookies must be secure (HTTPS only) with DEBUG off.",
                hint="Leave VAKWERK_SECURE_COOKIES unset or set it to true.",
                id="vakwerk.E003",
            )
        )
    if settings.SECURE_HSTS_SECONDS < 31536000:
        errors.append(
            Error(
                "HSTS must be on for at least a year with DEBUG off.",
                hint="Leave VAKWERK_HSTS_SECONDS unset or set it to 31536000 or more.",
                id="vakwerk.E004",
            )
        )
    return errors
