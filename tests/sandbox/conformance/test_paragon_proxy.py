"""The Paragon proxy mode: HubSpot paths under `/projects/{projectId}/sdk/proxy/hubspot/`.

Sources: PARAGON_FACTS §0-§2 (proxy URL, RS256 user token with sub/aud/iat/exp, headers,
`{"output": ...}` wrapper unless `X-Paragon-Use-Raw-Response: 1`), §3 (Paragon's error body
`{message, code, status, meta}` and "Integration not enabled for user."), §4 (`GET /sdk/me`).
"""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest

from .conftest import MINIMAL_PROPERTIES, Portal


class Paragon:
    """Builds user tokens and proxy URLs for the sandbox's Paragon project."""

    def __init__(self, sandbox: Any) -> None:
        self.sandbox = sandbox
        self.project_id: str = sandbox.project_id
        self.pem: str = sandbox.paragon_private_key_pem

    def user_token(self, user_id: str, *, ttl: int = 3600, audience: str | None = None) -> str:
        # iat/exp on the sandbox's clock, which checks expiry against it.
        now = int(self.sandbox.now().timestamp())
        claims = {
            "sub": user_id,
            "aud": audience or f"useparagon.com/{self.project_id}",
            "iat": now,
            "exp": now + ttl,
        }
        return jwt.encode(claims, self.pem, algorithm="RS256")

    def proxy(self, path: str) -> str:
        return f"/projects/{self.project_id}/sdk/proxy/hubspot/{path.lstrip('/')}"


@pytest.fixture
def paragon(portal: Portal, sandbox_app: Any) -> Paragon:
    return Paragon(sandbox_app.state.sandbox)


@pytest.fixture
def connected(paragon: Paragon) -> tuple[str, str]:
    """A user id with a HubSpot connection, and that connection's credential id."""
    user_id = f"user-{uuid.uuid4()}"
    credential_id = paragon.sandbox.add_connection(user_id)
    return user_id, str(credential_id)


def _auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def test_proxy_wraps_hubspot_json_in_output(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    user_id, _ = connected
    token = paragon.user_token(user_id)

    response = portal.http.post(
        paragon.proxy("crm/v3/objects/contacts"),
        headers=_auth(token),
        json={"properties": MINIMAL_PROPERTIES["contacts"]},
    )

    assert response.status_code in (200, 201), response.text
    body = response.json()
    assert set(body) == {"output"}
    assert body["output"]["properties"]["email"] == "ada@example.com"
    assert body["output"]["id"].isdigit()


def test_raw_response_header_passes_hubspot_status_and_body_through(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    user_id, _ = connected

    response = portal.http.post(
        paragon.proxy("crm/v3/objects/companies"),
        headers=_auth(paragon.user_token(user_id), **{"X-Paragon-Use-Raw-Response": "1"}),
        json={"properties": MINIMAL_PROPERTIES["companies"]},
    )

    assert response.status_code == 201
    assert response.json()["properties"]["name"] == "Example Industries"
    assert "output" not in response.json()


def test_raw_mode_passes_a_hubspot_error_through(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    user_id, _ = connected

    response = portal.http.get(
        paragon.proxy("crm/v3/objects/contacts/not-a-number"),
        headers=_auth(paragon.user_token(user_id), **{"X-Paragon-Use-Raw-Response": "1"}),
    )

    assert response.status_code == 404
    assert response.json()["category"] == "OBJECT_NOT_FOUND"


def test_full_hubspot_url_as_the_proxied_path(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    # PARAGON_FACTS §2.1: `{path}` may be a full URL, the product document's form.
    user_id, _ = connected

    response = portal.http.post(
        paragon.proxy("https://api.hubapi.com/crm/v3/objects/contacts/search"),
        headers=_auth(paragon.user_token(user_id), **{"X-Paragon-Use-Raw-Response": "1"}),
        json={},
    )

    assert response.status_code == 200, response.text
    assert response.json()["total"] == 0


def test_credential_header_selects_the_connection(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    user_id, credential_id = connected

    response = portal.http.get(
        paragon.proxy("crm/v3/owners"),
        headers=_auth(
            paragon.user_token(user_id),
            **{"X-Paragon-Credential": credential_id, "X-Paragon-Use-Raw-Response": "1"},
        ),
    )

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_unknown_user_gets_paragons_integration_not_enabled_error(portal: Portal, paragon: Paragon) -> None:
    response = portal.http.get(
        paragon.proxy("crm/v3/owners"), headers=_auth(paragon.user_token("never-connected"))
    )

    assert 400 <= response.status_code < 500
    body = response.json()
    # Paragon's own error body, not HubSpot's.
    assert body["message"] == "Integration not enabled for user."
    assert isinstance(body["code"], str) and body["code"].isdigit()
    assert "correlationId" not in body


def test_token_signed_with_another_key_is_refused(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    now = int(paragon.sandbox.now().timestamp())
    forged = jwt.encode(
        {"sub": connected[0], "aud": f"useparagon.com/{paragon.project_id}", "iat": now, "exp": now + 600},
        other,
        algorithm="RS256",
    )

    response = portal.http.get(paragon.proxy("crm/v3/owners"), headers=_auth(forged))

    assert response.status_code in (401, 403)
    assert "message" in response.json()


def test_token_for_another_project_is_refused(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    token = paragon.user_token(connected[0], audience="useparagon.com/another-project")

    response = portal.http.get(paragon.proxy("crm/v3/owners"), headers=_auth(token))

    assert response.status_code in (401, 403)


def test_sdk_me_reports_the_hubspot_credential(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    user_id, credential_id = connected

    response = portal.http.get(
        f"/projects/{paragon.project_id}/sdk/me", headers=_auth(paragon.user_token(user_id))
    )

    assert response.status_code == 200
    body = response.json()
    assert body["userId"] == user_id
    hubspot = body["integrations"]["hubspot"]
    assert hubspot["enabled"] is True
    assert hubspot["credentialId"] == credential_id
    assert hubspot["credentialStatus"] == "VALID"
    assert [c["id"] for c in hubspot["allCredentials"]] == [credential_id]


def test_sdk_me_for_a_user_without_hubspot_shows_it_disabled(portal: Portal, paragon: Paragon) -> None:
    response = portal.http.get(
        f"/projects/{paragon.project_id}/sdk/me", headers=_auth(paragon.user_token("nobody"))
    )

    assert response.status_code == 200
    hubspot = response.json()["integrations"].get("hubspot", {"enabled": False})
    assert hubspot["enabled"] is False


def test_revoked_connection_shows_invalid_and_disabled_in_sdk_me(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    # D24-USERS: when the account becomes unreachable, credentialStatus is INVALID and enabled false.
    user_id, credential_id = connected
    revoke = portal.http.post("/_sandbox/revoke", json={"credentialId": credential_id})
    assert revoke.status_code == 200

    body = portal.http.get(
        f"/projects/{paragon.project_id}/sdk/me", headers=_auth(paragon.user_token(user_id))
    ).json()

    assert body["integrations"]["hubspot"]["credentialStatus"] == "INVALID"
    assert body["integrations"]["hubspot"]["enabled"] is False


def test_expired_user_token_is_refused(portal: Portal, paragon: Paragon, connected: tuple[str, str]) -> None:
    token = paragon.user_token(connected[0], ttl=-60)

    response = portal.http.get(paragon.proxy("crm/v3/owners"), headers=_auth(token))

    assert response.status_code in (401, 403)


def test_raw_response_header_also_accepts_true(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    # PARAGON_FACTS §2.3: official code (paragon-mcp) sends the value "true".
    response = portal.http.get(
        paragon.proxy("crm/v3/owners"),
        headers=_auth(paragon.user_token(connected[0]), **{"X-Paragon-Use-Raw-Response": "true"}),
    )

    assert response.status_code == 200
    assert "output" not in response.json()


def test_proxy_url_header_replaces_the_path(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    # PARAGON_FACTS §2.1: call .../sdk/proxy/hubspot with the target in X-Paragon-Proxy-Url.
    response = portal.http.get(
        f"/projects/{paragon.project_id}/sdk/proxy/hubspot",
        headers=_auth(
            paragon.user_token(connected[0]),
            **{"X-Paragon-Proxy-Url": "https://api.hubapi.com/crm/v3/pipelines/deals"},
        ),
    )

    assert response.status_code == 200
    assert [p["id"] for p in response.json()["output"]["results"]] == ["default"]


def test_hubspot_error_without_raw_mode_is_passed_or_marked_as_an_integration_error(
    portal: Portal, paragon: Paragon, connected: tuple[str, str]
) -> None:
    # PARAGON_FACTS §3 / §10.3 (UNCONFIRMED): either HubSpot's body passes through, or Paragon wraps
    # it in its own error body with meta.isIntegrationError (what the Connect SDK reads).
    response = portal.http.get(
        paragon.proxy("crm/v3/objects/contacts/not-a-number"), headers=_auth(paragon.user_token(connected[0]))
    )

    assert response.status_code == 404
    body = response.json()
    if "category" in body:
        assert body["category"] == "OBJECT_NOT_FOUND"
    else:
        assert body["meta"]["isIntegrationError"] is True
        assert isinstance(body["message"], str)


def test_scopes_of_the_connection_are_enforced_through_the_proxy(portal: Portal, paragon: Paragon) -> None:
    user_id = f"user-{uuid.uuid4()}"
    paragon.sandbox.add_connection(user_id, scopes=["crm.objects.contacts.read"])

    response = portal.http.post(
        paragon.proxy("crm/v3/objects/deals/search"),
        headers=_auth(paragon.user_token(user_id), **{"X-Paragon-Use-Raw-Response": "1"}),
        json={},
    )

    assert response.status_code == 403
    assert response.json()["category"] == "MISSING_SCOPES"


def test_sdk_me_with_an_invalid_token_answers_unauthenticated(portal: Portal, paragon: Paragon) -> None:
    # D24-APIREF: an unauthenticated token gives {"authenticated": false} only.
    response = portal.http.get(f"/projects/{paragon.project_id}/sdk/me", headers=_auth("not-a-jwt"))

    assert response.json() == {"authenticated": False}
