"""The loopback OpenID Connect provider harness works, driven by plain HTTP (no Django, no DB)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from vakwerk.accounts.tests.oidc_provider import (
    PASSWORD,
    OIDCProvider,
    default_claims,
    start_oidc_provider,
)

CLIENT_ID = "vakwerk-test"
CLIENT_SECRET = "harness-secret"
# Never contacted: the flow stops at the redirect to it.
REDIRECT_URI = "http://127.0.0.1:9/accounts/oidc/test/login/callback/"
OVERRIDDEN = "override.me"


@pytest.fixture(scope="module")
def provider() -> Iterator[OIDCProvider]:
    with start_oidc_provider(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uris=[REDIRECT_URI],
        accounts={OVERRIDDEN: {"employee_number": "12345", "family_name": "Anders"}},
    ) as running:
        yield running


class _Forms(HTMLParser):
    """Collects each form's action and named input values (stdlib only)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((attributes.get("action", ""), {}))
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1][1][attributes["name"]] = attributes.get("value", "")


def _form(response: requests.Response) -> tuple[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(response.text)
    assert len(parser.forms) == 1, response.text
    action, fields = parser.forms[0]
    return urljoin(response.url, action), fields


def _follow(session: requests.Session, response: requests.Response) -> requests.Response:
    """Follow redirects within the provider; stop at the redirect back to the client."""
    while response.is_redirect and not response.headers["location"].startswith(REDIRECT_URI):
        response = session.get(
            urljoin(response.url, response.headers["location"]),
            allow_redirects=False,
            timeout=10,
        )
    return response


def _claims(jwt: str) -> dict[str, object]:
    payload = jwt.split(".")[1]
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def test_discovery_document(provider: OIDCProvider) -> None:
    assert provider.issuer.startswith("http://127.0.0.1:")
    config = requests.get(provider.discovery_url, timeout=10).json()

    assert config["issuer"] == provider.issuer
    for endpoint in ("authorization", "token", "userinfo", "end_session"):
        assert config[f"{endpoint}_endpoint"].startswith(f"{provider.issuer}/")
    assert config["jwks_uri"].startswith(f"{provider.issuer}/")
    assert {"openid", "email", "profile"} <= set(config["scopes_supported"])
    assert {"client_secret_basic", "client_secret_post"} <= set(
        config["token_endpoint_auth_methods_supported"]
    )
    assert "employee_number" in config["claims_supported"]
    keys = requests.get(config["jwks_uri"], timeout=10).json()["keys"]
    assert [key["alg"] for key in keys] == ["RS256"]


@pytest.mark.parametrize(
    ("login", "auth_method", "pkce"),
    [
        ("marieke.bakker", "client_secret_post", True),
        ("j.de-vries@gemeente.example", "client_secret_basic", False),
        (OVERRIDDEN, "client_secret_post", False),
    ],
)
def test_authorization_code_flow(
    provider: OIDCProvider, login: str, auth_method: str, pkce: bool
) -> None:
    config = requests.get(provider.discovery_url, timeout=10).json()
    session = requests.Session()
    state, nonce, verifier = (
        secrets.token_urlsafe(),
        secrets.token_urlsafe(),
        secrets.token_urlsafe(48),
    )
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid email profile",
        "state": state,
        "nonce": nonce,
    }
    if pkce:
        digest = hashlib.sha256(verifier.encode()).digest()
        params["code_challenge"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        params["code_challenge_method"] = "S256"

    login_page = _follow(
        session,
        session.get(
            config["authorization_endpoint"], params=params, allow_redirects=False, timeout=10
        ),
    )
    assert login_page.status_code == 200
    action, fields = _form(login_page)
    assert set(fields) == {"login", "password"}

    wrong = session.post(
        action, data={"login": login, "password": "wrong"}, allow_redirects=False, timeout=10
    )
    assert wrong.status_code == 200
    assert "Wrong username or password." in wrong.text

    consent_page = _follow(
        session,
        session.post(
            action, data={"login": login, "password": PASSWORD}, allow_redirects=False, timeout=10
        ),
    )
    assert consent_page.status_code == 200, consent_page.text
    assert ">Allow</button>" in consent_page.text
    action, fields = _form(consent_page)

    back = _follow(session, session.post(action, data=fields, allow_redirects=False, timeout=10))
    assert back.is_redirect, back.text
    query = parse_qs(urlsplit(back.headers["location"]).query)
    assert query["state"] == [state]
    assert query["iss"] == [provider.issuer]

    token_request: dict[str, str] = {
        "grant_type": "authorization_code",
        "code": query["code"][0],
        "redirect_uri": REDIRECT_URI,
    }
    if pkce:
        token_request["code_verifier"] = verifier
    auth: tuple[str, str] | None = None
    if auth_method == "client_secret_post":
        token_request |= {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    else:
        auth = (CLIENT_ID, CLIENT_SECRET)
    tokens = requests.post(config["token_endpoint"], data=token_request, auth=auth, timeout=10)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()

    expected = default_claims(login)
    if login == OVERRIDDEN:
        expected |= {"employee_number": "12345", "family_name": "Anders"}
    id_token = _claims(body["id_token"])
    assert id_token["iss"] == provider.issuer
    assert id_token["aud"] == CLIENT_ID
    assert id_token["nonce"] == nonce
    assert {name: id_token.get(name) for name in expected} == expected

    userinfo = requests.get(
        config["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=10,
    ).json()
    assert {name: userinfo.get(name) for name in expected} == expected


def test_default_claims() -> None:
    assert default_claims("marieke.bakker") == {
        "sub": "marieke.bakker",
        "email": "marieke.bakker@sso.example",
        "email_verified": True,
        "name": "Marieke Bakker",
        "given_name": "Marieke",
        "family_name": "Bakker",
        "employee_number": default_claims("marieke.bakker")["employee_number"],
    }
    assert default_claims("j.de-vries@gemeente.example")["email"] == "j.de-vries@gemeente.example"
    assert default_claims("jan")["name"] == "Jan Tester"
