"""Addresses that every page shows, worked out once per process.

Django's ``{% url %}`` and ``{% static %}`` do their work again on every render: for the
layout's dozen addresses about 7% of the scenario page's CPU (0.4 ms, measured in-process
with the addresses written in as constants). An address without arguments changes only with
the script prefix and the URLconf, and a static file's address only with the static files
storage, so both are cached by those.
"""

from functools import cache

from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse


def fixed_url(url_name: str) -> str:
    """``reverse(url_name)`` for a URL without arguments, cached."""
    return _reverse(url_name, get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)


@cache
def _reverse(url_name: str, script_prefix: str, urlconf: str | None, root_urlconf: str) -> str:
    return reverse(url_name, urlconf=urlconf)


def asset_url(path: str) -> str:
    """``static(path)`` (a hashed name in production), cached."""
    return _static(path, settings.STATIC_URL, settings.STORAGES["staticfiles"]["BACKEND"])


@cache
def _static(path: str, static_url: str, backend: str) -> str:
    return static(path)
