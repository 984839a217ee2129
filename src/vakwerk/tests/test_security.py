"""Security hardening (issue 11, part 2), one group of tests per promise.

1. CSRF on every form and htmx request      6. upload limits and type sniffing
2. CSP without 'unsafe-inline'              7. user text stored plain, always escaped
3. secure headers and cookies in production 8. secrets from the environment or <NAME>_FILE
4. session timeout                          9. MFA for HR, administrators and operators
5. external-rater links: entropy, hash only, expiry, rate limit

docs/operations.md ("Security") says where each is enforced.
"""

import base64
import datetime as dt
import hashlib
import io
import re
import runpy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import global_settings, settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from vakwerk.accounts.middleware import RequireMfaMiddleware
from vakwerk.accounts.models import User
from vakwerk.accounts.services import totp_enrol
from vakwerk.assessments import services as assessment_services
from vakwerk.assessments.models import Invitation, RoundStatus, Subject
from vakwerk.audit.models import AuditEvent
from vakwerk.audit.services import Actor
from vakwerk.conftest import TOTP_SECRET
from vakwerk.development.models import Activity, ActivityFormat, LearningCategory
from vakwerk.nudges.models import Campaign
from vakwerk.organisations.models import Organisation, Role
from vakwerk.practice.models import JournalEntry
from vakwerk.shell.checks import production_settings
from vakwerk.tests.factories import EmployeeFactory, MembershipFactory, RoundFactory, UserFactory
from vakwerk.tests.hostile import NOT_A_SPREADSHEET, png
from vakwerk.tests.test_isolation import PARAMETERS, VAKWERK_NAMESPACES

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parent.parent
TEMPLATE_FILES = sorted(p for p in SRC.rglob("templates/**/*") if p.suffix in {".html", ".txt"})
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

# Views that take a POST without a CSRF token, each with the reason.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: the mail client POSTs without a page or cookie. The signed
    # token in the URL is the authorisation, and it can only switch mail off.
    "notifications:unsubscribe",
    # SCIM 2.0 provisioning (people/scim_views.py): machine endpoints without session or
    # cookie; every request carries an organisation API token with the scim scope instead.
    "scim:service_provider_config",
    "scim:resource_types",
    "scim:resource_type",
    "scim:schemas",
    "scim:schema",
    "scim:users",
    "scim:user",
    "scim:groups",
    "scim:group",
    # The REST API (api/nlgov.py): bearer tokens only, never the session cookie, so there is
    # no request to forge. api/tests/test_isolation.py checks every operation.
    "api_not_found",
    "api-v1:api-root",
    "api-v1:openapi-json",
    "api-v1:employee_list",
    "api-v1:employee_detail",
    "api-v1:team_list",
    "api-v1:team_detail",
    "api-v1:department_list",
    "api-v1:department_detail",
    "api-v1:role_profile_list",
    "api-v1:role_profile_detail",
    "api-v1:framework_list",
    "api-v1:framework_detail",
    "api-v1:framework_version_detail",
    "api-v1:framework_version_case",
    "api-v1:round_list",
    "api-v1:round_detail",
    "api-v1:estimate_list",
    "api-v1:employee_estimates",
    "api-v1:round_competency_summary",
    "api-v1:plan_list",
    "api-v1:plan_detail",
    "api-v1:practice_figures",
    "api-v1:campaign_list",
    "api-v1:campaign_figures",
}


# --- the URL walk ---------------------------------------------------------------------------


def all_patterns() -> Iterator[tuple[str, str | None, list[str], Any]]:
    """(route, qualified name, parameters, view) of every URL pattern, allauth's included."""

    def walk(patterns: list, prefix: str, namespace: str | None, outer: list[str]) -> Iterator:
        for pattern in patterns:
            params = outer + list(pattern.pattern.regex.groupindex)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                yield from walk(
                    pattern.url_patterns,
                    prefix + str(pattern.pattern),
                    inner if pattern.namespace else namespace,
                    params,
                )
            elif isinstance(pattern, URLPattern):
                name = pattern.name and (
                    f"{namespace}:{pattern.name}" if namespace else pattern.name
                )
                yield prefix + str(pattern.pattern), name, params, pattern.callback

    yield from walk(get_resolver().url_patterns, "", None, [])


def own_urls(organisation: Organisation) -> list[tuple[str, str]]:
    """(name, url) of every named pattern that can be filled: Vakwerk's with objects of
    ``organisation`` itself (so a missing check would reach real data), the rest (allauth,
    Django admin, language switch) when they take no parameter. Unnamed or unfillable patterns
    are covered by ``test_no_view_is_csrf_exempt_except_the_listed_ones``."""
    urls = []
    values: dict[str, str] = {}  # one object per parameter, shared by the URLs that take it
    for _route, name, params, _view in all_patterns():
        if name is None:
            continue
        if params and name.split(":")[0] not in VAKWERK_NAMESPACES:
            continue
        for param in params:
            if param not in values:
                values[param] = PARAMETERS[param](organisation)
        urls.append((name, reverse(name, kwargs={p: values[p] for p in params})))
    return urls


def test_the_walk_covers_vakwerk_allauth_and_admin(organisation):
    names = {name for name, _url in own_urls(organisation)}
    assert len(names) > 150
    assert {"account_login", "account_logout", "admin:index", "set_language"} <= names
    assert "questionnaires:external_answer_item" in names


def enrolled_client(user: User, *, enforce_csrf: bool) -> Client:
    totp_enrol(user=user, secret=TOTP_SECRET)
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


# --- 1. CSRF --------------------------------------------------------------------------------


def test_no_view_is_csrf_exempt_except_the_listed_ones():
    exempt = {
        name or route
        for route, name, _params, view in all_patterns()
        if getattr(view, "csrf_exempt", False)
    }
    assert exempt == CSRF_EXEMPT


@pytest.mark.parametrize("who", [*Role, "operator"])
def test_a_post_without_csrf_token_is_refused_everywhere(organisation, who):
    if who == "operator":
        user = UserFactory(operator=True)
        MembershipFactory(organisation=organisation, user=user, roles=[Role.EMPLOYEE])
    else:
        user = MembershipFactory(organisation=organisation, roles=[who]).user
        EmployeeFactory(organisation=organisation, user=user)
    client = enrolled_client(user, enforce_csrf=True)
    urls = own_urls(organisation)
    before = AuditEvent.objects.count()
    for name, url in urls:
        if name in CSRF_EXEMPT:
            continue
        response = client.post(url, {"text": "x", "name": "x"})
        assert response.status_code == 403, f"POST {url} ({name}) as {who}"
    assert AuditEvent.objects.count() == before, "a POST without a token changed something"


def test_the_unsubscribe_link_needs_a_signed_token_instead():
    response = Client(enforce_csrf_checks=True).post(
        reverse("notifications:unsubscribe", args=["not-signed"])
    )
    assert response.status_code == 404


def test_htmx_requests_carry_the_csrf_token_from_the_page(organisation):
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    page = client.get(reverse("shell:home")).content.decode()
    # Set on <body>, so every hx-post/hx-delete on every page inherits it.
    found = re.search(r"<body[^>]*hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page)
    assert found, "base.html must put the CSRF token in hx-headers on <body>"
    url = reverse("set_language")
    assert client.post(url, {"language": "en"}).status_code == 403
    response = client.post(url, {"language": "en"}, HTTP_X_CSRFTOKEN=found.group(1))
    assert response.status_code == 302


def test_every_htmx_write_sits_in_a_page_that_gets_the_token():
    """hx-post etc. in any template is only rendered inside base.html (which sets hx-headers),
    or in a form that posts the token itself."""
    base = (SRC / "templates" / "base.html").read_text()
    assert 'hx-headers=\'{"X-CSRFToken": "{{ csrf_token }}"}\'' in base
    writes = [
        path
        for path in TEMPLATE_FILES
        if re.search(r"\shx-(post|put|patch|delete)=", path.read_text())
    ]
    assert writes
    for path in writes:
        text = path.read_text()
        assert '{% extends "base.html" %}' in text or "{% csrf_token %}" in text, path


# --- 2. CSP ---------------------------------------------------------------------------------


def production() -> dict[str, Any]:
    """The settings module as it comes out with ``VAKWERK_DEBUG=false`` and nothing else set."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VAKWERK_DEBUG", "false")
        for name in ("VAKWERK_SECRET_KEY", "VAKWERK_HSTS_SECONDS", "VAKWERK_SECURE_COOKIES"):
            patch.delenv(name, raising=False)
        return runpy.run_path(str(SRC / "settings.py"))


PRODUCTION = production()
SECURITY_SETTINGS = (
    "SECURE_CSP",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "PERMISSIONS_POLICY",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_AGE",
    "SESSION_EXPIRE_AT_BROWSER_CLOSE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
)


@pytest.fixture
def production_settings_applied() -> Iterator[None]:
    values = {
        name: PRODUCTION.get(name, getattr(global_settings, name, None))
        for name in SECURITY_SETTINGS
    }
    with override_settings(DEBUG=False, **values):
        yield


def test_the_production_csp_allows_nothing_inline_and_nothing_from_elsewhere(
    production_settings_applied, client
):
    csp = client.get(reverse("account_login"), secure=True)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp
    assert "http:" not in directives["form-action"]


INLINE = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "hx-on handler (needs eval)": re.compile(r"\shx-on[:-]", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_templates_have_no_inline_script_style_or_event_handlers():
    html = [path for path in TEMPLATE_FILES if path.suffix == ".html"]
    assert len(html) > 100
    found = [
        f"{path.relative_to(SRC)}: {what}"
        for path in html
        for what, pattern in INLINE.items()
        if pattern.search(path.read_text())
    ]
    assert not found


# --- 3. Secure headers and cookies ----------------------------------------------------------


def test_production_sends_the_security_headers(production_settings_applied, client):
    response = client.get(reverse("account_login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_production_cookies_are_secure_httponly_and_samesite(
    production_settings_applied, organisation
):
    client = Client()
    csrf = client.get(reverse("account_login"), secure=True).cookies["csrftoken"]
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    client.force_login(user)
    session = client.get(reverse("shell:home"), secure=True).cookies["sessionid"]
    for cookie in (csrf, session):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
    assert not session["max-age"], "the session cookie must end when the browser closes"


def test_production_middleware_includes_every_security_layer():
    middleware = PRODUCTION["MIDDLEWARE"]
    for name in (
        "django.middleware.security.SecurityMiddleware",
        "vakwerk.lib.middleware.PermissionsPolicyMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django.middleware.csp.ContentSecurityPolicyMiddleware",
        "vakwerk.accounts.middleware.RequireMfaMiddleware",
    ):
        assert name in middleware


# --- 4. Session timeout ---------------------------------------------------------------------


def test_sessions_last_eight_idle_hours_and_end_with_the_browser():
    assert PRODUCTION["SESSION_COOKIE_AGE"] == 8 * 60 * 60
    assert PRODUCTION["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True
    assert PRODUCTION["SESSION_REFRESH"] == 5 * 60
    assert "vakwerk.lib.middleware.SessionIdleTimeoutMiddleware" in PRODUCTION["MIDDLEWARE"]


@contextmanager
def _working_day(organisation: Organisation) -> Iterator[tuple[Client, Any]]:
    """An employee logged in on a Monday at 8:00, and the clock, stopped there until shifted."""
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    start = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        client.force_login(user)
        yield client, clock


def _session_writes(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("shell:home")).status_code == 200
    return sum(
        q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]
        for q in captured.captured_queries
    )


def _refused(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_a_session_in_use_is_written_at_most_every_few_minutes(organisation):
    with _working_day(organisation) as (client, clock):
        assert _session_writes(client) == 1  # the first request notes the time
        clock.shift(dt.timedelta(minutes=4))
        assert _session_writes(client) == 0
        clock.shift(dt.timedelta(minutes=2))  # six minutes since the last write
        assert _session_writes(client) == 1
        assert _session_writes(client) == 0


def test_a_session_idle_since_its_last_write_expires_despite_requests_in_between(organisation):
    # The timeout counts from the last write: requests inside the refresh interval do not
    # restart it, so it may end up to five minutes early, never late.
    with _working_day(organisation) as (client, clock):
        assert _session_writes(client) == 1  # written at 8:00
        clock.shift(dt.timedelta(minutes=4))
        assert _session_writes(client) == 0
        clock.shift(dt.timedelta(hours=7, minutes=57))  # 8 h 1 min after the write
        assert _refused(client.get(reverse("shell:home")))


def test_a_short_session_age_gets_a_shorter_refresh(monkeypatch):
    monkeypatch.setenv("VAKWERK_SESSION_AGE", "600")
    monkeypatch.setenv("VAKWERK_SESSION_REFRESH", "300")
    assert runpy.run_path(str(SRC / "settings.py"))["SESSION_REFRESH"] == 60


def test_a_request_refused_before_the_login_is_read_creates_no_session(client):
    client.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
    response = client.get(reverse("shell:home"), headers={"host": "elders.example"})
    assert response.status_code == 400  # not an allowed host: refused before the login
    assert not Session.objects.exists()
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_an_anonymous_visit_and_a_logout_create_no_session(organisation):
    user = MembershipFactory(organisation=organisation, roles=[Role.EMPLOYEE]).user
    client = Client()
    client.get(reverse("account_login"))
    assert not Session.objects.exists()
    client.force_login(user)
    client.get(reverse("shell:home"))
    assert Session.objects.count() == 1
    client.post(reverse("account_logout"))
    assert not Session.objects.exists()
    assert (
        settings.SESSION_COOKIE_NAME not in client.cookies
        or not client.cookies[settings.SESSION_COOKIE_NAME].value
    )


def test_a_session_idle_longer_than_its_age_is_refused(organisation):
    with _working_day(organisation) as (client, clock):
        assert client.get(reverse("shell:home")).status_code == 200
        clock.shift(dt.timedelta(hours=7, minutes=50))  # still working: the age starts again
        assert client.get(reverse("shell:home")).status_code == 200
        clock.shift(dt.timedelta(hours=8, minutes=1))
        assert _refused(client.get(reverse("shell:home")))


# --- 5. External-rater links ----------------------------------------------------------------


def external_invitation(organisation: Organisation, *, expires_at: dt.datetime | None = None):
    round_ = RoundFactory(organisation=organisation, use_external=True, status=RoundStatus.OPEN)
    subject = Subject.objects.create(
        round=round_, employee=EmployeeFactory(organisation=organisation)
    )
    invitation, token = assessment_services.external_invite(
        subject=subject, actor=Actor(user=None), name="Extern", email="e@x.nl", relation="klant"
    )
    if expires_at is not None:
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=expires_at)
    return invitation, token


def test_an_external_link_holds_at_least_128_random_bits_and_only_its_hash_is_stored(
    organisation,
):
    invitation, token = external_invitation(organisation)
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = str(Invitation.objects.filter(pk=invitation.pk).values().get())
    stored += str(list(AuditEvent.objects.values()))
    assert token not in stored
    assert external_invitation(organisation)[1] != token


def test_an_external_link_expires_the_day_after_the_round_closes(organisation):
    invitation, token = external_invitation(organisation)
    closes = invitation.subject.round.closes_on
    assert invitation.expires_at.date() == closes + dt.timedelta(days=1)
    url = reverse("questionnaires:external_answer", args=[token])
    assert Client().get(url).status_code == 200
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    assert Client().get(url).status_code == 404


def test_wrong_external_links_are_rate_limited_per_address(organisation, english):
    from vakwerk.assessments.questionnaire_views import LINK_FAILURE_LIMIT

    _invitation, token = external_invitation(organisation)
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(LINK_FAILURE_LIMIT - 1):
        guess = reverse("questionnaires:external_answer", args=[f"gok-{n}"])
        assert guesser.get(guess).status_code == 404
    last = guesser.post(reverse("questionnaires:external_answer_item", args=["gok-laatst"]))
    assert last.status_code == 429
    valid = reverse("questionnaires:external_answer", args=[token])
    refused = guesser.get(valid)
    assert refused.status_code == 429, "even a right link waits once an address is blocked"
    assert "Too many links that do not work" in refused.content.decode()
    assert Client(REMOTE_ADDR="198.51.100.7").get(valid).status_code == 200
    with time_machine.travel(dt.timedelta(minutes=16)):
        assert guesser.get(valid).status_code == 200


# --- 6. Uploads -----------------------------------------------------------------------------


def test_request_bodies_and_in_memory_uploads_are_bounded():
    assert 0 < PRODUCTION["DATA_UPLOAD_MAX_MEMORY_SIZE"] <= 5 * 1024 * 1024
    assert 0 < PRODUCTION["FILE_UPLOAD_MAX_MEMORY_SIZE"] <= 5 * 1024 * 1024


def upload(name: str, data: bytes) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


@pytest.fixture
def hr(member_client, organisation, english) -> Client:
    return member_client(organisation, Role.HR)[0]


def test_a_png_named_csv_is_refused_by_the_people_import(hr):
    response = hr.post(reverse("people:import_upload"), {"file": upload("mensen.csv", png())})
    assert NOT_A_SPREADSHEET in response.content.decode()


def test_the_logo_is_judged_by_its_content_not_its_name(hr, organisation):
    url = reverse("organisations:theme")
    response = hr.post(url, {"logo": upload("logo.png", b"GIF89a" + b"\x00" * 64)})
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert hr.post(url, {"logo": upload("logo.gif", png())}).status_code == 302
    organisation.refresh_from_db()
    assert organisation.logo


def test_an_oversize_logo_is_refused_with_a_clear_message(hr):
    big = png() + b"\x00" * (1024 * 1024)  # a valid PNG with a megabyte of trailing bytes
    response = hr.post(reverse("organisations:theme"), {"logo": upload("logo.png", big)})
    assert "The logo is larger than 1 MB." in response.content.decode()


def test_an_oversize_case_package_is_refused_with_a_clear_message(hr):
    big = b'{"CFDocument": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    response = hr.post(reverse("framework_case:import"), {"file": upload("kader.json", big)})
    assert "The file is larger than 2 MB." in response.content.decode()


def test_an_oversize_people_file_is_refused_with_a_clear_message(hr):
    big = b"personeelsnummer;voornaam\n" + b"1;" + b"a" * (5 * 1024 * 1024) + b"\n"
    response = hr.post(reverse("people:import_upload"), {"file": upload("mensen.csv", big)})
    assert "The file is larger than 5 MB" in response.content.decode()


# --- 7. User text ---------------------------------------------------------------------------

# Every place that switches escaping off, and why that is safe.
UNESCAPED_ALLOWED = {
    # SVG charts: every piece of caller text goes through html.escape (charts._esc) first.
    "lib/charts.py": r"\bmark_safe\(|\bSafeString\(",
    # The team table's cells: names and labels through html.escape, the rest fixed markup.
    "insights/templatetags/insights.py": r"\bmark_safe\(",
}
UNESCAPED = re.compile(
    r"\|\s*safe(seq)?\b|\bmark_safe\(|\bSafeString\(|\bformat_html\(|autoescape off"
)


def test_escaping_is_only_switched_off_where_listed():
    found = []
    for path in sorted(SRC.rglob("*")):
        if path.suffix not in {".py", ".html", ".txt"} or "tests" in path.parts:
            continue
        relative = str(path.relative_to(SRC))
        for match in UNESCAPED.finditer(path.read_text()):
            if match.group() == "autoescape off" and path.suffix == ".txt":
                continue  # plain-text email bodies: no HTML to inject into
            allowed = UNESCAPED_ALLOWED.get(relative)
            if allowed and re.fullmatch(allowed, match.group()):
                continue
            found.append(f"{relative}: {match.group()}")
    assert not found


def test_script_in_a_journal_entry_is_stored_as_text_and_shown_escaped(member_client, organisation):
    client, user = member_client(organisation, Role.EMPLOYEE)
    EmployeeFactory(organisation=organisation, user=user)
    response = client.post(reverse("bank:journal"), {"text": SCRIPT}, follow=True)
    assert JournalEntry.objects.get().text == SCRIPT
    page = response.content.decode()
    assert ESCAPED in page
    assert SCRIPT not in page


def test_script_in_campaign_and_activity_text_is_shown_escaped(member_client, organisation):
    campaign = Campaign.objects.create(
        organisation=organisation,
        title=SCRIPT,
        description=SCRIPT,
        competency_codes=["AV-EMP"],
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 2, 1),
    )
    Activity.objects.create(
        organisation=organisation,
        code="xss",
        title=SCRIPT,
        description=SCRIPT,
        format=ActivityFormat.PEER,
        category=LearningCategory.SOCIAL,
        competency_codes=["AV-EMP"],
        minutes=30,
        why_daily=SCRIPT,
        why_career=SCRIPT,
    )
    client, _ = member_client(organisation, Role.HR)
    for url in (
        reverse("campaigns:detail", args=[campaign.pk]),
        reverse("campaigns:list"),
        reverse("catalogue:list"),
    ):
        page = client.get(url).content.decode()
        assert ESCAPED in page, url
        assert SCRIPT not in page, url


# --- 8. Secrets -----------------------------------------------------------------------------


def test_secrets_can_come_from_name_file_variables(tmp_path, monkeypatch):
    def secret(name: str, value: str) -> None:
        path = tmp_path / name
        path.write_text(value + "\n")
        monkeypatch.setenv(f"{name}_FILE", str(path))

    secret("VAKWERK_SECRET_KEY", "k" * 60)
    secret("DATABASE_URL", "postgres://vakwerk:geheim@db.internal:5432/vakwerk")
    monkeypatch.setenv("VAKWERK_EMAIL_HOST", "smtp.gemeente.nl")
    secret("VAKWERK_EMAIL_PASSWORD", "smtp-geheim")
    loaded = runpy.run_path(str(SRC / "settings.py"))
    assert loaded["SECRET_KEY"] == "k" * 60
    assert loaded["DATABASES"]["default"]["PASSWORD"] == "geheim"
    assert loaded["DATABASES"]["default"]["HOST"] == "db.internal"
    assert loaded["MAILERS"]["default"]["OPTIONS"]["password"] == "smtp-geheim"


def test_production_without_a_secret_key_does_not_start():
    assert PRODUCTION["SECRET_KEY"] == PRODUCTION["DEV_SECRET_KEY"]
    with override_settings(DEBUG=False, SECRET_KEY=PRODUCTION["SECRET_KEY"]):
        assert "vakwerk.E001" in {error.id for error in production_settings(None)}
    with override_settings(DEBUG=False, SECRET_KEY="r" * 60):
        assert "vakwerk.E001" not in {error.id for error in production_settings(None)}


# --- 9. MFA everywhere ----------------------------------------------------------------------


@pytest.mark.parametrize("who", [Role.HR, Role.ADMIN, "operator"])
def test_without_mfa_every_page_sends_hr_admins_and_operators_to_enrolment(organisation, who):
    if who == "operator":
        user = UserFactory(operator=True)
        MembershipFactory(organisation=organisation, user=user, roles=[Role.EMPLOYEE])
    else:
        user = MembershipFactory(organisation=organisation, roles=[who]).user
    client = Client()
    client.force_login(user)
    enrolment = reverse("mfa_activate_totp")
    checked = 0
    urls = own_urls(organisation)
    before = AuditEvent.objects.count()
    for name, url in urls:
        if url.startswith(RequireMfaMiddleware.ALLOWED_PREFIXES):
            continue
        for method in (client.get, client.post):
            response = method(url)
            where = f"{method.__name__.upper()} {url} ({name}) as {who}"
            assert response.status_code in (302, 403, 404), where
            if response.status_code == 302:
                assert response["Location"].startswith(enrolment), where
            checked += 1
    assert checked > 300
    assert AuditEvent.objects.count() == before, "a page did something before MFA"
