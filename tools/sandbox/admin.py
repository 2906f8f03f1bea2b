"""The sandbox-only admin API under ``/_sandbox/`` (unauthenticated; the sandbox binds to loopback).

Documented in ``docs/sandbox.md``. Admin calls are not written to the HubSpot request log.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from starlette.datastructures import QueryParams

from tools.sandbox import errors
from tools.sandbox.context import Reply, parse_uint
from tools.sandbox.faults import RateLimits, non_negative
from tools.sandbox.loader import FixtureError
from tools.sandbox.metadata import user_json
from tools.sandbox.store import owner_json
from tools.scopes_catalog import ALL_SCOPES

if TYPE_CHECKING:
    from tools.sandbox.app import Sandbox

_ARCHIVE = re.compile(r"^/_sandbox/(?P<kind>owners|users)/(?P<id>[^/]+)/archive$")


def _body(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise errors.invalid_json("the body is not valid JSON") from None


def _scopes(value: Any) -> list[str]:
    if value is None:
        return list(ALL_SCOPES)
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise errors.bad_request("scopes must be a list of strings")
    return value


def _positive_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1_000_000:
        raise errors.bad_request(f"{name} must be a whole number from 1 to 1000000")
    return value


def handle(sandbox: Sandbox, method: str, path: str, query: QueryParams, raw: bytes) -> Reply:
    """Serve one admin request."""
    try:
        return _dispatch(sandbox, method, path, query, raw)
    except errors.HubSpotError as exc:
        return Reply(exc.status, exc.body())
    except FixtureError as exc:
        return Reply(400, errors.bad_request(str(exc)).body())


def _dispatch(sandbox: Sandbox, method: str, path: str, query: QueryParams, raw: bytes) -> Reply:
    body = _body(raw)
    key = (method, path)
    if key == ("POST", "/_sandbox/reset"):
        sandbox.reset()
        refs: dict[str, str] = {}
        if isinstance(body, dict) and body.get("fixture") is not None:
            refs = sandbox.load_fixture(body["fixture"])
        return Reply(200, {"status": "reset", "refs": refs})
    if key == ("POST", "/_sandbox/tokens"):
        body = body or {}
        if not isinstance(body, dict):
            raise errors.bad_request('the body must be {"scopes": [...]}')
        token = body.get("token")
        if token is not None and (not isinstance(token, str) or not token):
            raise errors.bad_request("token must be a non-empty string")
        scopes = _scopes(body.get("scopes"))
        return Reply(200, {"token": sandbox.create_token(scopes, token), "scopes": scopes})
    if key == ("POST", "/_sandbox/connections"):
        if not isinstance(body, dict) or not isinstance(body.get("userId"), str) or not body["userId"]:
            raise errors.bad_request(
                'the body must be {"userId": "...", "credentialId"?, "scopes"?, "status"?}'
            )
        cred = body.get("credentialId")
        status = body.get("status", "VALID")
        if status not in ("VALID", "INVALID", "PENDING"):
            raise errors.bad_request("status must be VALID, INVALID or PENDING")
        cid = sandbox.add_connection(
            body["userId"],
            credential_id=cred if isinstance(cred, str) and cred else None,
            scopes=_scopes(body.get("scopes")),
            status=status,
        )
        return Reply(200, {"credentialId": cid})
    if key == ("POST", "/_sandbox/revoke"):
        target = (
            (body or {}).get("token") or (body or {}).get("credentialId") if isinstance(body, dict) else None
        )
        if not isinstance(target, str):
            raise errors.bad_request('the body must be {"token": "..."} or {"credentialId": "..."}')
        try:
            sandbox.revoke(target)
        except KeyError:
            raise errors.resource_not_found("no such token or credential") from None
        return Reply(200, {"revoked": True})
    if key == ("POST", "/_sandbox/fixtures"):
        source: Any = body
        if isinstance(body, dict) and set(body) == {"name"}:
            source = body["name"]
        if isinstance(source, str) and (
            "/" in source or "\\" in source or source.endswith((".yaml", ".yml"))
        ):
            raise errors.bad_request("fixtures over HTTP are a portal block or the name of a bundled fixture")
        if not isinstance(source, dict | str):
            raise errors.bad_request("the body must be a portal block or the name of a bundled fixture")
        return Reply(200, sandbox.load_fixture(source))
    if key == ("GET", "/_sandbox/state"):
        return Reply(200, sandbox.state())
    if key == ("GET", "/_sandbox/requests"):
        since = query.get("since", "0")
        start = parse_uint(since) or 0
        return Reply(200, [r for r in sandbox.requests if r["seq"] > start])
    if key == ("POST", "/_sandbox/requests/clear"):
        sandbox.requests.clear()
        return Reply(200, {"cleared": True})
    if key == ("POST", "/_sandbox/faults"):
        return Reply(200, sandbox.faults.configure(body if body is not None else {}))
    if key == ("GET", "/_sandbox/faults"):
        return Reply(200, sandbox.faults.describe())
    if key == ("POST", "/_sandbox/rate-limits"):
        if not isinstance(body, dict):
            raise errors.bad_request('the body must be {"enabled", "perTenSeconds"?, "searchPerSecond"?}')
        current = sandbox.limiter.config
        enabled = body.get("enabled", current.enabled)
        if not isinstance(enabled, bool):
            raise errors.bad_request("enabled must be true or false")
        sandbox.limiter.config = RateLimits(
            enabled=enabled,
            per_ten_seconds=_positive_int(
                body.get("perTenSeconds", current.per_ten_seconds), "perTenSeconds"
            ),
            search_per_second=_positive_int(
                body.get("searchPerSecond", current.search_per_second), "searchPerSecond"
            ),
        )
        sandbox.limiter.windows.clear()
        sandbox.limiter.searches.clear()
        c = sandbox.limiter.config
        return Reply(
            200,
            {
                "enabled": c.enabled,
                "perTenSeconds": c.per_ten_seconds,
                "searchPerSecond": c.search_per_second,
            },
        )
    if key == ("POST", "/_sandbox/search-lag"):
        if not isinstance(body, dict) or "seconds" not in body:
            raise errors.bad_request('the body must be {"seconds": <non-negative number>}')
        sandbox.search_lag_seconds = non_negative(body["seconds"], "seconds")
        return Reply(200, {"seconds": sandbox.search_lag_seconds})
    if key == ("GET", "/_sandbox/paragon"):
        return Reply(
            200,
            {
                "projectId": sandbox.project_id,
                "publicKeyPem": sandbox.paragon_public_key_pem,
                "privateKeyPem": sandbox.paragon_private_key_pem,
            },
        )
    m = _ARCHIVE.match(path)
    if m and method == "POST":
        try:
            if m.group("kind") == "owners":
                sandbox.archive_owner(m.group("id"))
                return Reply(200, owner_json(sandbox.portal, sandbox.portal.owners[m.group("id")]))
            sandbox.archive_user(m.group("id"))
            return Reply(200, user_json(sandbox.portal, sandbox.portal.users[m.group("id")]))
        except KeyError:
            raise errors.resource_not_found(f"No {m.group('kind')[:-1]} with id {m.group('id')}") from None
    raise errors.resource_not_found(f"No admin endpoint {method} {path}")
