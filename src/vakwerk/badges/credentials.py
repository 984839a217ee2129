"""Building the OpenBadgeCredential of a badge (Open Badges 3.0, 1EdTech) and its addresses.

What a credential holds (docs/badges.md has an example):

- ``issuer``: a ``Profile`` of the organisation, ``id`` its public profile on this installation;
- ``credentialSubject``: an ``AchievementSubject`` with a random ``id`` (per badge, so badges
  of one person cannot be linked through it) and an ``identifier``: the employee's email
  address, salted and hashed (``IdentityObject``, ``sha256$...``), so the holder can prove it
  is theirs without the credential showing their address;
- ``achievement``: the competency at the level the badge confirms, ``id`` a stable UUID of the
  framework, competency and level (``frameworks.case.case_identifier``), with ``alignment``
  to the competency's CASE item: the identifier and ``urn:uuid:`` URI of Vakwerk's own CASE
  export (``frameworks.case``), and a second alignment to ``case_uri`` when the competency
  has one from elsewhere;
- ``credentialStatus``: a ``1EdTechRevocationList`` of its own (one list per credential, so
  checking one badge reveals nothing about others).

The JWT claims ``iss``, ``jti``, ``nbf`` and ``sub`` repeat ``issuer.id``, ``id``,
``validFrom`` and ``credentialSubject.id`` (OB 3.0 section 8.2, "JSON Web Token Proof
Format"). Texts are in Dutch, the organisation's language (``inLanguage``).
"""

import hashlib
import secrets
import uuid
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from vakwerk.frameworks.case import case_identifier
from vakwerk.frameworks.models import Competency, Level
from vakwerk.organisations.models import Organisation

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
STATUS_TYPE = "1EdTechRevocationList"
CREDENTIAL_LANGUAGE = "nl"


def absolute(path: str) -> str:
    """An address on this installation (``VAKWERK_BASE_URL``): credentials outlive requests,
    so they never take the host from one."""
    return f"{settings.BASE_URL}{path}"


def credential_url(badge_id: uuid.UUID) -> str:
    return absolute(reverse("badges_public:badge", kwargs={"badge_id": badge_id}))


def status_url(badge_id: uuid.UUID) -> str:
    return absolute(reverse("badges_public:status", kwargs={"badge_id": badge_id}))


def issuer_url(organisation: Organisation) -> str:
    return absolute(reverse("badges_public:issuer", kwargs={"slug": organisation.slug}))


def jwks_url(organisation: Organisation) -> str:
    return absolute(reverse("badges_public:jwks", kwargs={"slug": organisation.slug}))


def key_id(organisation: Organisation, thumbprint: str) -> str:
    """The ``kid``: the organisation's key set with the key's thumbprint as fragment, which
    dereferences to the JWK (OB 3.0 section 8.2.3)."""
    return f"{jwks_url(organisation)}#{thumbprint}"


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def issuer_profile(organisation: Organisation) -> dict[str, Any]:
    return {"id": issuer_url(organisation), "type": ["Profile"], "name": organisation.name}


def identity(email: str) -> dict[str, Any]:
    """An ``IdentityObject`` for an email address: ``sha256$`` + hex SHA-256 of the address
    (lower case) followed by a random salt."""
    salt = secrets.token_hex(16)
    digest = hashlib.sha256(f"{email.strip().lower()}{salt}".encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def alignments(competency: Competency) -> list[dict[str, Any]]:
    framework = competency.version.framework
    item = case_identifier(framework, "item", competency.code)
    found = [
        {
            "type": ["Alignment"],
            "targetName": competency.name,
            "targetDescription": competency.description,
            "targetUrl": f"urn:uuid:{item}",
            "targetCode": item,
            "targetFramework": framework.name,
            "targetType": "CFItem",
        }
    ]
    if competency.case_uri:
        found.append(
            {
                "type": ["Alignment"],
                "targetName": competency.name,
                "targetUrl": competency.case_uri,
                "targetCode": competency.code,
                "targetFramework": framework.name,
                "targetType": "CFItem",
            }
        )
    return found


def achievement_name(competency: Competency, target: int, level: Level | None) -> str:
    if level is not None:
        return _("%(competency)s: level %(level)s (%(name)s)") % {
            "competency": competency.name,
            "level": target,
            "name": level.name,
        }
    return _("%(competency)s: level %(level)s") % {"competency": competency.name, "level": target}


def build(
    *,
    badge_id: uuid.UUID,
    organisation: Organisation,
    email: str,
    competency: Competency,
    target: int,
    round_name: str,
    measured_on: date,
    issued_at: datetime,
    thumbprint: str,
) -> tuple[dict[str, Any], str]:
    """The credential (with its JWT claims) of a badge, and the ``kid`` to sign it with."""
    framework = competency.version.framework
    level = Level.objects.filter(version_id=competency.version_id, number=target).first()
    with translation.override(CREDENTIAL_LANGUAGE):
        name = achievement_name(competency, target, level)
        narrative = _(
            "Measured at level %(level)s or higher on %(competency)s, the level the role asks "
            "for, in the round “%(round)s” (%(date)s). The level is estimated from that round's "
            "ratings and tests with a model that corrects for lenient and strict raters."
        ) % {
            "level": target,
            "competency": competency.name,
            "round": round_name,
            "date": date_format(measured_on, "DATE_FORMAT"),
        }
    issuer = issuer_profile(organisation)
    subject_id = f"urn:uuid:{uuid.uuid4()}"
    credential: dict[str, Any] = {
        "@context": CONTEXT,
        "id": credential_url(badge_id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": issuer,
        "validFrom": timestamp(issued_at),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "identifier": [identity(email)],
            "achievement": {
                "id": "urn:uuid:"
                + case_identifier(framework, "achievement", competency.code, "level", target),
                "type": ["Achievement"],
                "achievementType": "Competency",
                "name": name,
                "description": competency.description,
                "criteria": {"narrative": narrative},
                "alignment": alignments(competency),
                "inLanguage": CREDENTIAL_LANGUAGE,
            },
        },
        "credentialStatus": {"id": status_url(badge_id), "type": STATUS_TYPE},
        # The JWT claims (OB 3.0 section 8.2): the same values as the credential's own.
        "iss": issuer["id"],
        "jti": credential_url(badge_id),
        "nbf": int(issued_at.timestamp()),
        "sub": subject_id,
    }
    return credential, key_id(organisation, thumbprint)
