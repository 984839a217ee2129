"""The practice pages as an installable web app: manifest, service worker and offline page.

These three answers are the same for everybody and hold nothing personal, so they need no
login: a browser fetches the manifest without cookies unless asked otherwise, and the service
worker caches the offline page to show it to whoever is on the device when the network is gone.

The service worker lives at ``/oefenen/sw.js`` (not under ``/static/``) because a worker only
controls pages under the folder its script is served from. Its code is the static file
``js/practice-sw.js``; this view puts a small configuration object in front of it with the
URLs of the practice shell as the static files storage names them (hashed names in
production) and a version that changes with the content of those files, so a deployment that
changes the shell installs a new worker and drops the old cache.
"""

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# The neutral Vakwerk theme (css/vakwerk-theme.css): --vakwerk-primary and --vakwerk-color-bg.
THEME_COLOR = "#0f4c5c"
BACKGROUND_COLOR = "#ffffff"

SERVICE_WORKER_SOURCE = "js/practice-sw.js"
ICONS: tuple[tuple[str, int, str], ...] = (
    ("icons/vakwerk-192.png", 192, "any"),
    ("icons/vakwerk-512.png", 512, "any"),
    ("icons/vakwerk-maskable-512.png", 512, "maskable"),
)
# Everything a practice page loads from /static/: cached when the worker installs.
SHELL_FILES: tuple[str, ...] = (
    "vendor/utrecht/index.css",
    "css/vakwerk-theme.css",
    "css/vakwerk.css",
    "vendor/htmx/htmx.min.js",
    "js/practice.js",
    *(icon for icon, _size, _purpose in ICONS),
)


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest, in the language of the request."""
    practice = reverse("practice:today")
    data = {
        "id": practice,
        "name": _("Vakwerk – practice"),  # noqa: RUF001 (an en dash, as in print)
        "short_name": "Vakwerk",
        "description": _("Five minutes of practice a day, also on your phone."),
        "lang": get_language(),
        "dir": "ltr",
        "start_url": practice,
        "scope": practice,
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {
                "src": static(path),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": purpose,
            }
            for path, size, purpose in ICONS
        ],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


def _static_bytes(path: str) -> bytes:
    """The content of one of our own static files, found as ``collectstatic`` would find it."""
    found = finders.find(path)
    if not isinstance(found, str):
        raise FileNotFoundError(f"static file {path} is missing")
    return Path(found).read_bytes()


def _service_worker_script() -> str:
    """The worker's code with its configuration in front (see the module docstring)."""
    source = _static_bytes(SERVICE_WORKER_SOURCE)
    digest = hashlib.sha256(source)
    for path in SHELL_FILES:
        digest.update(path.encode())
        digest.update(_static_bytes(path))
    config = {
        "version": digest.hexdigest()[:16],
        "shell": [static(path) for path in SHELL_FILES],
        "offline": reverse("practice:offline"),
        "staticPrefix": settings.STATIC_URL,
    }
    return f"const VAKWERK_SW = {json.dumps(config)};\n{source.decode()}"


_cached_service_worker_script = functools.cache(_service_worker_script)


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, with ``/oefenen/`` as its scope. Read once per process, except in
    development, where a changed file should reach the browser at once."""
    script = _service_worker_script() if settings.DEBUG else _cached_service_worker_script()
    return HttpResponse(script, content_type="text/javascript; charset=utf-8")


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What a practice page shows when it cannot be loaded. The template is a page of its own,
    not ``base.html``: the worker keeps it in its cache, so it must hold nothing personal (no
    name, no organisation, no CSRF token) and must not use up the person's messages."""
    return render(request, "practice/offline.html", {"theme_color": THEME_COLOR})
