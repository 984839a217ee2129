"""The installation's badge signing key and compact JWS (VC-JWT) signing with Ed25519.

Why no JOSE library at run time: a compact JWS with EdDSA is three base64url parts and one
Ed25519 signature over ``header.payload`` (RFC 7515 section 7.1, RFC 8037). ``cryptography``
already does the signing (it is installed for WebAuthn and OpenID Connect), so the whole of
it is the twenty lines below; a JOSE package would add a run-time dependency for them. The
tests verify every badge with an independent implementation (joserfc), so a mistake here
cannot hide.

Keys (docs/badges.md): ``settings.BADGE_SIGNING_KEY`` is the PEM of the current private key.
``settings.BADGE_RETIRED_KEYS`` holds PEMs (public or private) of earlier keys: they sign
nothing but stay in the published key set so that badges signed with them keep verifying. In
development without a configured key, one is generated once into ``BADGE_DEV_KEY_FILE``.
A key's id (``kid``) is its RFC 7638 thumbprint, so the same key always gets the same id.
"""

import base64
import hashlib
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ALGORITHM = "EdDSA"
PEM_BLOCK = re.compile(r"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----", re.DOTALL)


class BadgeKeyError(ImproperlyConfigured):
    """The configured badge key cannot be used; the message says why."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _canonical(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


# --- loading ------------------------------------------------------------------------------


@cache
def _private_from_pem(pem: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise BadgeKeyError(
            f"The badge signing key is not a readable PEM private key: {error}"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadgeKeyError(
            "The badge signing key must be an Ed25519 key (openssl genpkey -algorithm ed25519)."
        )
    return key


@cache
def _public_from_pem(pem: str) -> Ed25519PublicKey:
    if "PRIVATE KEY" in pem:
        return _private_from_pem(pem).public_key()
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError) as error:
        raise BadgeKeyError(f"A retired badge key is not a readable PEM key: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadgeKeyError("Retired badge keys must be Ed25519 keys.")
    return key


def _development_pem(path: Path) -> str:
    """The development key in ``path``, generated the first time. Created with a link so two
    processes starting at once cannot both write one: the loser reads the winner's key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        draft.write_bytes(pem)
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii")


def signing_pem() -> str:
    if settings.BADGE_SIGNING_KEY:
        return str(settings.BADGE_SIGNING_KEY)
    if settings.BADGE_DEV_KEY_FILE:
        return _development_pem(Path(settings.BADGE_DEV_KEY_FILE))
    raise BadgeKeyError("No badge signing key: set VAKWERK_BADGE_SIGNING_KEY (or _FILE).")


def signing_key() -> Ed25519PrivateKey:
    return _private_from_pem(signing_pem())


def published_keys() -> list[Ed25519PublicKey]:
    """The current public key first, then the retired ones (duplicates left out)."""
    keys = [signing_key().public_key()]
    for pem in PEM_BLOCK.findall(str(settings.BADGE_RETIRED_KEYS or "")):
        keys.append(_public_from_pem(pem))
    unique: dict[str, Ed25519PublicKey] = {}
    for key in keys:
        unique.setdefault(thumbprint(key), key)
    return list(unique.values())


# --- JWK ------------------------------------------------------------------------------------


def _x(key: Ed25519PublicKey) -> str:
    return b64url(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def thumbprint(key: Ed25519PublicKey) -> str:
    """RFC 7638: SHA-256 over the required members in lexical order, base64url."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": _x(key)}
    return b64url(hashlib.sha256(_canonical(members)).digest())


def public_jwk(key: Ed25519PublicKey, kid: str) -> dict[str, str]:
    """The public key as a JWK (RFC 8037). Never holds ``d``: there is no private part here."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _x(key),
        "kid": kid,
        "alg": ALGORITHM,
        "use": "sig",
    }


# --- compact JWS ----------------------------------------------------------------------------


def sign_compact(payload: dict[str, Any], *, kid: str) -> str:
    """``payload`` as a compact JWS signed with the current key (RFC 7515, RFC 8037)."""
    header = {"alg": ALGORITHM, "kid": kid, "typ": "JWT"}
    signing_input = f"{b64url(_canonical(header))}.{b64url(_canonical(payload))}"
    signature = signing_key().sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def read_compact(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of a compact JWS, NOT verified (for showing a stored badge)."""
    header, payload, _signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def verifies(token: str) -> bool:
    """Whether ``token`` carries a valid signature of one of the published keys (the one its
    ``kid`` names). Used on the public page; real verifiers do this themselves."""
    try:
        encoded_header, encoded_payload, encoded_signature = token.split(".")
        header = json.loads(b64url_decode(encoded_header))
        signature = b64url_decode(encoded_signature)
    except ValueError:
        return False
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        return False
    kid = str(header.get("kid", ""))
    for key in published_keys():
        if kid.endswith(f"#{thumbprint(key)}"):
            try:
                key.verify(signature, f"{encoded_header}.{encoded_payload}".encode("ascii"))
            except InvalidSignature:
                return False
            return True
    return False
