"""The public side: pages only for shared badges, and credentials that an independent JOSE
implementation (joserfc) verifies with the key published at the ``kid`` address, and that
fail once tampered with."""

import base64
import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from vakwerk.audit.services import Actor
from vakwerk.badges import keys, services
from vakwerk.badges.tests.support import CODE, employee, measure, setting
from vakwerk.frameworks.case import case_identifier
from vakwerk.organisations.models import Role

pytestmark = [
    pytest.mark.django_db,
    # RFC 9864 names Ed25519 signatures "Ed25519"; badges keep "EdDSA" (docs/badges.md).
    pytest.mark.filterwarnings("ignore:EdDSA is deprecated"),
]


@pytest.fixture
def claimed(member_client, organisation):
    place = setting(organisation)
    client, user = member_client(organisation, Role.EMPLOYEE)
    person = employee(place, user)
    measure(place, person, 3.4)
    badge = services.badge_claim(
        organisation=organisation, employee=person, competency_code=CODE, actor=Actor(user)
    )
    return client, badge, place


def _path(url: str) -> str:
    assert url.startswith(settings.BASE_URL)
    return url.removeprefix(settings.BASE_URL)


def _key_set(kid: str) -> KeySet:
    """The key set at the ``kid`` address, fetched without login."""
    response = Client().get(_path(kid.split("#")[0]))
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    return KeySet.import_key_set(response.json())


def _segments(token: str) -> list[str]:
    return token.split(".")


def test_the_public_page_and_credential_exist_only_while_shared(claimed):
    owner, badge, _place = claimed
    anonymous = Client()
    page = reverse("badges_public:badge", kwargs={"badge_id": badge.pk})
    raw = reverse("badges_public:credential", kwargs={"badge_id": badge.pk})
    assert anonymous.get(page).status_code == 404
    assert anonymous.get(raw).status_code == 404
    preview = owner.get(page)  # the owner sees their own page, marked as not shared
    assert preview.status_code == 200
    assert b"Not shared" in preview.content or b"Niet gedeeld" in preview.content

    services.badge_share(badge=badge, shared=True, actor=Actor(badge.employee.user))
    shown = anonymous.get(page)
    assert shown.status_code == 200
    assert badge.employee.last_name.encode() in shown.content
    credential = anonymous.get(raw)
    assert credential.status_code == 200
    assert credential["Content-Type"] == "application/jwt"
    assert credential.content.decode() == badge.jwt

    services.badge_share(badge=badge, shared=False, actor=Actor(badge.employee.user))
    assert anonymous.get(page).status_code == 404
    assert anonymous.get(raw).status_code == 404


def test_unknown_badges_and_issuers_are_not_found(claimed, other_organisation):
    anonymous = Client()
    unknown = "00000000-0000-4000-8000-000000000000"
    for name in ("badge", "credential", "status"):
        url = reverse(f"badges_public:{name}", kwargs={"badge_id": unknown})
        assert anonymous.get(url).status_code == 404
    # An organisation that issued no badges publishes no issuer profile.
    for name in ("issuer", "jwks"):
        url = reverse(f"badges_public:{name}", kwargs={"slug": other_organisation.slug})
        assert anonymous.get(url).status_code == 404


def test_a_badge_verifies_with_joserfc_and_the_published_key(claimed):
    _owner, badge, place = claimed
    header = json.loads(keys.b64url_decode(_segments(badge.jwt)[0]))
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "JWT"
    token = jwt.decode(badge.jwt, _key_set(header["kid"]), algorithms=["EdDSA"])
    claims = token.claims
    issuer = claims["issuer"]
    assert claims["iss"] == issuer["id"]
    assert claims["jti"] == claims["id"]
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["nbf"] == int(badge.issued_at.timestamp())
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["@context"][1].endswith("context-3.0.3.json")
    assert issuer["name"] == place.organisation.name
    subject = claims["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    (identity,) = subject["identifier"]
    assert identity["identityHash"].startswith("sha256$")
    assert badge.employee.email not in json.dumps(claims)
    (alignment,) = subject["achievement"]["alignment"]
    item = case_identifier(place.version.framework, "item", CODE)
    assert alignment["targetType"] == "CFItem"
    assert alignment["targetCode"] == item
    assert alignment["targetUrl"] == f"urn:uuid:{item}"
    # The issuer profile names the same key, and the status is where the credential says.
    profile = Client().get(_path(issuer["id"])).json()
    assert profile["id"] == issuer["id"]
    assert header["kid"] in {method["id"] for method in profile["verificationMethod"]}
    status = Client().get(_path(claims["credentialStatus"]["id"])).json()
    assert claims["credentialStatus"]["type"] == "1EdTechRevocationList"
    assert status["revokedCredentials"] == []


def test_a_tampered_badge_fails_verification(claimed):
    _owner, badge, _place = claimed
    header, payload, signature = _segments(badge.jwt)
    key_set = _key_set(json.loads(keys.b64url_decode(header))["kid"])

    # One character of the payload changed.
    flipped = payload[:40] + ("A" if payload[40] != "A" else "B") + payload[41:]
    with pytest.raises(JoseError):
        jwt.decode(f"{header}.{flipped}.{signature}", key_set, algorithms=["EdDSA"])

    # A re-encoded payload with a higher level, under the old signature.
    claims = json.loads(keys.b64url_decode(payload))
    claims["name"] = claims["name"].replace("3", "4")
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(JoseError):
        jwt.decode(f"{header}.{forged}.{signature}", key_set, algorithms=["EdDSA"])
    assert not keys.verifies(f"{header}.{forged}.{signature}")
    assert keys.verifies(badge.jwt)


def test_a_retired_key_stays_published_so_old_badges_keep_verifying(claimed, settings):
    _owner, badge, _place = claimed
    header = json.loads(keys.b64url_decode(_segments(badge.jwt)[0]))
    old_pem = settings.BADGE_SIGNING_KEY
    from vakwerk.badges.tests.support import new_pem

    settings.BADGE_SIGNING_KEY = new_pem()
    settings.BADGE_RETIRED_KEYS = old_pem
    key_set = _key_set(header["kid"])
    assert len(key_set.keys) == 2
    jwt.decode(badge.jwt, key_set, algorithms=["EdDSA"])
    published = Client().get(_path(header["kid"].split("#")[0])).json()
    assert all("d" not in key for key in published["keys"])
