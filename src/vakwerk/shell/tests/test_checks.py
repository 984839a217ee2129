import pytest
from django.core.checks import run_checks

pytestmark = pytest.mark.django_db

DEV_KEY = "dev-only-insecure-key-vakwerk-do-not-use-in-production"


def error_ids() -> set[str]:
    return {str(message.id) for message in run_checks(include_deployment_checks=False)}


def test_production_refuses_the_development_key_and_open_hosts(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = DEV_KEY
    settings.ALLOWED_HOSTS = ["*"]
    settings.SESSION_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    assert {"vakwerk.E001", "vakwerk.E002", "vakwerk.E003", "vakwerk.E004"} <= error_ids()


def test_a_proper_production_configuration_passes(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 60
    settings.ALLOWED_HOSTS = ["vakwerk.gemeente.nl"]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    assert not {i for i in error_ids() if i.startswith("vakwerk.")}


def test_development_needs_none_of_that(settings):
    settings.DEBUG = True
    settings.SECRET_KEY = DEV_KEY
    assert not {i for i in error_ids() if i.startswith("vakwerk.")}


def test_security_headers_are_sent(client):
    response = client.get("/privacy")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_secret_key_can_come_from_a_file(tmp_path, monkeypatch):
    from vakwerk import env

    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("VAKWERK_SECRET_KEY_FILE", str(secret))
    assert env.get_str("VAKWERK_SECRET_KEY") == "from-a-file"


def test_the_wsgi_entry_point_refuses_to_serve_a_bad_production_configuration(settings):
    import importlib
    import sys

    from django.core.exceptions import ImproperlyConfigured

    settings.DEBUG = False
    settings.SECRET_KEY = DEV_KEY
    sys.modules.pop("vakwerk.wsgi", None)
    with pytest.raises(ImproperlyConfigured, match=r"vakwerk\.E001"):
        importlib.import_module("vakwerk.wsgi")
    sys.modules.pop("vakwerk.wsgi", None)
