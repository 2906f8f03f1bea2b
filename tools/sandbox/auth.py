"""Tokens, Paragon connections and the scopes each HubSpot endpoint requires.

Direct mode: ``Authorization: Bearer <token>`` where the token was made with
:meth:`Credentials.create_token`. Paragon mode: an RS256 user JWT (``sub`` = user id,
``aud`` = ``useparagon.com/{projectId}``) plus an optional ``X-Paragon-Credential`` choosing one of
the user's connections.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tools.sandbox.timeutil import iso
from tools.scopes_catalog import ALL_SCOPES


@dataclass
class Token:
    """A HubSpot bearer token with its granted scopes."""

    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class Connection:
    """One user's HubSpot connection through Paragon (a Paragon "credential")."""

    credential_id: str
    user_id: str
    scopes: frozenset[str]
    status: str = "VALID"  # VALID | INVALID | PENDING
    created_at: str = ""
    provider_id: str = ""


@dataclass
class Credentials:
    """Every token and connection the sandbox accepts."""

    tokens: dict[str, Token] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)

    def create_token(
        self, scopes: list[str] | tuple[str, ...] | frozenset[str], token: str | None = None
    ) -> str:
        """Make a token (random unless given) valid for ``scopes``."""
        value = token or f"pat-na1-{uuid.uuid4()}"
        self.tokens[value] = Token(frozenset(scopes))
        return value

    def add_connection(
        self,
        user_id: str,
        *,
        credential_id: str | None,
        scopes: list[str] | tuple[str, ...] | frozenset[str] | None,
        status: str,
        now: datetime,
        portal_id: int,
    ) -> str:
        """Connect HubSpot for a Paragon user; returns the credential id."""
        cid = credential_id or str(uuid.uuid4())
        self.connections[cid] = Connection(
            credential_id=cid,
            user_id=user_id,
            scopes=frozenset(scopes if scopes is not None else ALL_SCOPES),
            status=status,
            created_at=iso(now),
            provider_id=str(portal_id),
        )
        return cid

    def revoke(self, token_or_credential_id: str) -> bool:
        """Invalidate a token or a connection; False when neither exists."""
        if token_or_credential_id in self.tokens:
            self.tokens[token_or_credential_id].revoked = True
            return True
        if token_or_credential_id in self.connections:
            self.connections[token_or_credential_id].status = "INVALID"
            return True
        return False

    def user_connections(self, user_id: str) -> list[Connection]:
        """The user's connections, oldest first."""
        return [c for c in self.connections.values() if c.user_id == user_id]

    def to_json(self) -> dict[str, Any]:
        """Serialize for the state file."""
        return {
            "tokens": {k: {"scopes": sorted(t.scopes), "revoked": t.revoked} for k, t in self.tokens.items()},
            "connections": [
                {
                    "credentialId": c.credential_id,
                    "userId": c.user_id,
                    "scopes": sorted(c.scopes),
                    "status": c.status,
                    "createdAt": c.created_at,
                    "providerId": c.provider_id,
                }
                for c in self.connections.values()
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Credentials:
        """Inverse of :meth:`to_json`."""
        creds = cls()
        for k, t in data.get("tokens", {}).items():
            creds.tokens[k] = Token(frozenset(t["scopes"]), bool(t["revoked"]))
        for c in data.get("connections", []):
            creds.connections[c["credentialId"]] = Connection(
                c["credentialId"],
                c["userId"],
                frozenset(c["scopes"]),
                c["status"],
                c["createdAt"],
                c["providerId"],
            )
        return creds


def generate_key_pair() -> tuple[str, str]:
    """A fresh RSA key pair as ``(private PKCS#8 PEM, public PEM)``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return private, _public_pem(key)


def key_pair_file(path: Path) -> tuple[str, str]:
    """The key pair whose private key is kept in ``path`` (PKCS#8 PEM), made and written there if needed.

    Making and checking a 2048-bit key costs 100-200 ms, so a data directory keeps one instead of
    each start making its own. The file is readable by its owner only (mode 0600) and written
    atomically; one that is missing, unreadable, not a PEM RSA key, or readable by others is
    replaced by a new key. The key signs tokens only for an in-process sandbox, so replacing it
    loses nothing.

    Returns:
        ``(private PKCS#8 PEM, public PEM)``.
    """
    kept = _read_key_pair(path)
    if kept is not None:
        return kept
    private, public = generate_key_pair()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(private)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # the pair still serves this process; the next start makes another
    return private, public


def _read_key_pair(path: Path) -> tuple[str, str] | None:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077 or info.st_uid != os.getuid():
            return None
        private = path.read_text(encoding="ascii")
        # Our own key: parsed without OpenSSL's slow consistency check, only to derive its public half.
        key = serialization.load_pem_private_key(
            private.encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
    except (OSError, UnicodeDecodeError, ValueError, TypeError):
        return None
    if not isinstance(key, rsa.RSAPrivateKey):
        return None
    return private, _public_pem(key)


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.decode()


_IAT_LEEWAY_SECONDS = 60  # clock skew tolerated for a token issued 'in the future'


def verify_user_token(token: str, public_key_pem: str, project_id: str, now: datetime) -> str | None:
    """Verify a Paragon user token; return its ``sub`` or None when it is not acceptable.

    RS256 only; ``exp`` (against the sandbox clock), ``sub`` and ``aud`` (``useparagon.com/{projectId}``)
    are required. Time claims are judged by the sandbox clock, never the machine's: PyJWT's own
    ``exp``/``iat`` checks use the real time, which would refuse every token of a case pinned to a
    later date than today.
    """
    try:
        claims = jwt.decode(
            token,
            public_key_pem,
            algorithms=["RS256"],
            audience=f"useparagon.com/{project_id}",
            options={"require": ["sub", "exp", "aud"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now.timestamp():
        return None
    iat = claims.get("iat")
    if iat is not None and (not isinstance(iat, int | float) or iat > now.timestamp() + _IAT_LEEWAY_SECONDS):
        return None
    sub = claims.get("sub")
    return sub if isinstance(sub, str) and sub else None


# Scopes -------------------------------------------------------------------------------------------
# Any-of scope sets per endpoint, after HubSpot's API reference (HUBSPOT_FACTS §3). Where the reference
# lists a very long any-of set (properties, pipelines, associations) the relevant members are kept.


def _object_read(t: str) -> list[str]:
    if t in ("contacts", "companies", "deals"):
        return [
            f"crm.schemas.{t}.read",
            f"crm.objects.{t}.sensitive.read.v2",
            f"crm.objects.{t}.read",
            f"crm.objects.{t}.highly_sensitive.read.v2",
        ]
    if t == "emails":
        return ["crm.objects.contacts.read", "sales-email-read"]
    return ["crm.objects.contacts.read"]


def _object_write(t: str) -> list[str]:
    if t in ("contacts", "companies", "deals"):
        return [
            f"crm.objects.{t}.write",
            f"crm.objects.{t}.sensitive.write.v2",
            f"crm.objects.{t}.highly_sensitive.write.v2",
        ]
    if t == "emails":
        return ["crm.objects.contacts.write", "sales-email-read"]
    return ["crm.objects.contacts.write"]


_SCHEMA_READ = [
    *(f"crm.objects.{t}.read" for t in ("contacts", "companies", "deals")),
    *(f"crm.objects.{t}.write" for t in ("contacts", "companies", "deals")),
    *(f"crm.schemas.{t}.read" for t in ("contacts", "companies", "deals")),
    "crm.schemas.custom.read",
    "crm.objects.owners.read",
    "crm.objects.users.read",
    "automation",
    "timeline",
    "e-commerce",
    "tickets",
]
_ASSOCIATIONS = [
    *(f"crm.objects.{t}.read" for t in ("contacts", "companies", "deals")),
    *(f"crm.objects.{t}.write" for t in ("contacts", "companies", "deals")),
    *(f"crm.objects.{t}.read" for t in ("notes", "tasks", "calls", "meetings", "emails")),
    "sales-email-read",
    "e-commerce",
    "tickets",
]


def required_scopes(operation: str, object_type: str | None = None) -> list[str]:
    """The any-of scope set for an operation.

    Args:
        operation: ``read``, ``write``, ``schema``, ``associations``, ``owners``, ``users``, ``teams``,
            ``account``.
        object_type: Plural object type for ``read``/``write``.
    """
    if operation == "read":
        assert object_type is not None
        return _object_read(object_type)
    if operation == "write":
        assert object_type is not None
        return _object_write(object_type)
    table: dict[str, list[str]] = {
        "schema": _SCHEMA_READ,
        "associations": _ASSOCIATIONS,
        "owners": ["crm.objects.owners.read", "automation"],
        "users": ["settings.users.read", "crm.objects.users.read"],
        "teams": ["settings.users.teams.read"],
        "account": ["oauth"],
    }
    return table[operation]
