"""The sandbox ASGI app: HubSpot at the root, the Paragon proxy under ``/projects/{id}/sdk/``, admin under
``/_sandbox/``.

Every HubSpot or Paragon request passes, in order: the Paragon checks (proxy mode), added latency,
injected faults, the HubSpot token check, rate limits, the route's scope check and handler. Each
one is logged in :attr:`Sandbox.requests` (never with a token).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from starlette.datastructures import Headers, QueryParams, State
from starlette.types import Receive, Scope, Send

from tools.sandbox import admin, errors, routes
from tools.sandbox.auth import Connection, Credentials, generate_key_pair, verify_user_token
from tools.sandbox.context import Ctx, Reply
from tools.sandbox.faults import (
    DroppedConnection,
    Fault,
    FaultPlan,
    RateLimiter,
    RateLimits,
    SimulatedTimeout,
    fault_error,
)
from tools.sandbox.loader import Loader, read_fixture
from tools.sandbox.objects import create_record
from tools.sandbox.persistence import StateFile, StateFileError
from tools.sandbox.store import JSON, Portal
from tools.sandbox.timeutil import iso
from tools.scopes_catalog import ALL_SCOPES

log = logging.getLogger("tools.sandbox")

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
FixtureSource = str | Path | dict[str, Any]

_PROXY = re.compile(r"^/projects/(?P<project>[^/]+)/sdk/proxy/hubspot(?P<rest>/.*)?$")
_ME = re.compile(r"^/projects/(?P<project>[^/]+)/sdk/me/?$")
_FULL_URL = re.compile(r"^/*https?:/+[^/]+")
_JSON_TYPE = "application/json;charset=utf-8"
MAX_LOGGED_REQUESTS = 100_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Caller:
    """Who made a HubSpot request."""

    mode: str  # "direct" | "paragon"
    scopes: frozenset[str] = frozenset()
    user: str | None = None
    credential: str | None = None
    rate_key: str = ""


def paragon_error(status: int, message: str, code: str) -> Reply:
    """Paragon's own error body ``{message, code, status, meta}``."""
    return Reply(status, {"message": message, "code": code, "status": status, "meta": {}})


@dataclass(frozen=True)
class _Late:
    """A request HubSpot carries out later than its caller waited (a ``late`` fault)."""

    due: datetime
    method: str
    path: str
    query: QueryParams
    body: bytes
    headers: Headers
    caller: Caller | None
    base: str


class Sandbox:
    """The emulated HubSpot portal plus Paragon connections, request log, faults and limits.

    Use :func:`create_app`; this object is ``app.state.sandbox``.
    """

    def __init__(
        self,
        *,
        project_id: str,
        paragon_public_key_pem: str | None,
        rate_limits: bool | RateLimits,
        clock: Clock | None,
        sleep: Sleep | None,
        state_path: Path | None,
    ) -> None:
        self.project_id = project_id
        self.clock: Clock = clock or _utc_now
        self.sleep: Sleep = sleep or asyncio.sleep
        self.paragon_private_key_pem: str | None = None
        if paragon_public_key_pem is None:
            self.paragon_private_key_pem, paragon_public_key_pem = generate_key_pair()
        self.paragon_public_key_pem: str = paragon_public_key_pem
        config = rate_limits if isinstance(rate_limits, RateLimits) else RateLimits(enabled=bool(rate_limits))
        self.limiter = RateLimiter(config, self.now)
        self.faults = FaultPlan()
        # Search misses records created within this many seconds, as HubSpot's index lags (0 = off).
        self.search_lag_seconds = 0.0
        self.portal = Portal.empty()
        self.credentials = Credentials()
        self.requests: list[dict[str, Any]] = []
        self._seq = 0
        self._late: list[_Late] = []  # requests of ``late`` faults, carried out when due
        self._state_file = StateFile(state_path) if state_path is not None else None

    # time / persistence --------------------------------------------------------------------

    def now(self) -> datetime:
        """The sandbox clock (UTC)."""
        return self.clock().astimezone(UTC)

    def mark_dirty(self) -> None:
        """Note a change (search caches are keyed on it) and persist when a state file is configured."""
        self.portal.version += 1
        if self._state_file is not None:
            self._state_file.save(
                {"portal": self.portal.to_json(), "credentials": self.credentials.to_json()}
            )

    def restore(self) -> bool:
        """Load the portal from the state file; False when there is none yet.

        Raises:
            StateFileError: The file holds something else than a saved portal.
        """
        if self._state_file is None:
            return False
        data = self._state_file.load()
        if data is None:
            return False
        try:
            self.portal = Portal.from_json(data["portal"])
            self.credentials = Credentials.from_json(data.get("credentials", {}))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFileError(
                f"The state file {self._state_file.path} does not hold a sandbox portal "
                f"({type(exc).__name__}: {exc})"
            ) from None
        return True

    # public API ----------------------------------------------------------------------------

    def create_token(
        self, scopes: list[str] | tuple[str, ...] | frozenset[str] = ALL_SCOPES, token: str | None = None
    ) -> str:
        """A HubSpot bearer token for the root paths, granted ``scopes``."""
        value = self.credentials.create_token(scopes, token)
        self.mark_dirty()
        return value

    def add_connection(
        self,
        user_id: str,
        *,
        credential_id: str | None = None,
        scopes: list[str] | tuple[str, ...] | frozenset[str] | None = None,
        status: str = "VALID",
    ) -> str:
        """Connect HubSpot for a Paragon user (every listed scope by default); returns the credential id."""
        if status not in ("VALID", "INVALID", "PENDING"):
            raise ValueError("status must be VALID, INVALID or PENDING")
        cid = self.credentials.add_connection(
            user_id,
            credential_id=credential_id,
            scopes=scopes,
            status=status,
            now=self.now(),
            portal_id=int(str(self.portal.account["portalId"])),
        )
        self.mark_dirty()
        return cid

    def revoke(self, token_or_credential_id: str) -> None:
        """Every later call with this token or connection answers 401."""
        if not self.credentials.revoke(token_or_credential_id):
            raise KeyError("no such token or credential")
        self.mark_dirty()

    def load_fixture(self, block: FixtureSource) -> dict[str, str]:
        """Add a ``portal:`` block (or a bundled fixture name / YAML path) to the portal; returns ref → id."""
        data = read_fixture(block)
        ctx = self._internal_ctx()

        def create(object_type: str, props: dict[str, str], assoc: list[tuple[str, str, int]]) -> str:
            return create_record(ctx, object_type, props, assoc).id

        # All or nothing: a fixture that fails half-way leaves the portal as it was.
        snapshot = self.portal.to_json()
        try:
            refs = Loader(self.portal, self.now(), create).load(data)
        except Exception:
            self.portal = Portal.from_json(snapshot)
            raise
        finally:
            self.mark_dirty()
        return refs

    def reset(self) -> None:
        """An empty portal with HubSpot's defaults; clears the request log and faults (tokens stay)."""
        self.portal = Portal.empty()
        self.requests.clear()
        self.faults.clear()
        self._late.clear()
        self.mark_dirty()

    def state(self) -> JSON:
        """All records and associations (``GET /_sandbox/state``)."""
        self.apply_due()
        return self.portal.to_json()

    def add_fault(self, **rule: Any) -> None:
        """Add a fault rule, as ``POST /_sandbox/faults`` does (keys: kind, status, seconds, count, method, path)."""
        self.faults.configure(rule)

    def archive_owner(self, owner_id: str) -> None:
        """Archive an owner (its ``userId`` becomes null, as when HubSpot deactivates the user)."""
        owner = self.portal.owners.get(owner_id)
        if owner is None:
            raise KeyError(owner_id)
        owner.archived = True
        owner.updated_at = self.now()
        self.mark_dirty()

    def archive_user(self, user_id: str) -> None:
        """Remove a user from the account: it leaves the users list and its owner is archived."""
        user = self.portal.users.get(user_id)
        if user is None:
            raise KeyError(user_id)
        user.archived = True
        for owner in self.portal.owners.values():
            if str(owner.user_id) == user_id and not owner.archived:
                owner.archived = True
                owner.updated_at = self.now()
        self.mark_dirty()

    def _internal_ctx(self) -> Ctx:
        return Ctx(self, "POST", "/", QueryParams(""), b"", frozenset(ALL_SCOPES), "")

    # request handling ----------------------------------------------------------------------

    def _log(
        self, method: str, path: str, query: QueryParams, status: int, body: bytes, caller: Caller | None
    ) -> None:
        self._seq += 1
        parsed: Any = None
        if body.strip():
            try:
                parsed = json.loads(body)
            except (ValueError, UnicodeDecodeError, RecursionError):
                parsed = body.decode("utf-8", "replace")
        self.requests.append(
            {
                "seq": self._seq,
                "method": method,
                "path": path,
                "query": {k: query.getlist(k) for k in query},
                "status": status,
                "time": iso(self.now()),
                "json": parsed,
                "mode": caller.mode if caller else None,
                "user": caller.user if caller else None,
                "credential": caller.credential if caller else None,
            }
        )
        if len(self.requests) > MAX_LOGGED_REQUESTS:
            del self.requests[
                : len(self.requests) - MAX_LOGGED_REQUESTS
            ]  # a long-running server stays bounded

    def _paragon_caller(self, headers: Headers, project: str) -> tuple[Caller, Reply | None]:
        """The caller behind a proxy request, or Paragon's error (the caller then names who was refused)."""
        if project != self.project_id:
            return Caller("paragon"), paragon_error(404, f"Project {project} not found.", "404")
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        sub = (
            verify_user_token(token, self.paragon_public_key_pem, self.project_id, self.now())
            if token
            else None
        )
        if sub is None:
            return Caller("paragon"), paragon_error(
                401, "Unauthorized. The Paragon user token is missing or invalid.", "401"
            )
        conns = self.credentials.user_connections(sub)
        wanted = headers.get("x-paragon-credential")
        conn: Connection | None
        if wanted:
            conn = next((c for c in conns if c.credential_id == wanted), None)
        else:
            conn = next((c for c in conns if c.status == "VALID"), conns[0] if conns else None)
        if conn is None:
            refused = Caller("paragon", user=sub, credential=wanted)
            return refused, paragon_error(400, "Integration not enabled for user.", "11002")
        caller = Caller("paragon", conn.scopes, sub, conn.credential_id, f"conn:{conn.credential_id}")
        if conn.status != "VALID":
            caller.scopes = frozenset()
            caller.rate_key = "invalid"
        return caller, None

    def _direct_caller(self, headers: Headers) -> Caller | None:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        record = self.credentials.tokens.get(token)
        if record is None or record.revoked:
            return None
        return Caller("direct", record.scopes, rate_key=f"token:{id(record)}")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request."""
        headers = Headers(scope=scope)
        method = scope["method"].upper()
        path = scope["path"]
        query = QueryParams(scope.get("query_string", b""))
        body = await _read_body(receive)
        host = headers.get("host", "127.0.0.1")
        base = f"{scope.get('scheme', 'http')}://{host}"

        if path.startswith("/_sandbox"):
            reply = admin.handle(self, method, path.rstrip("/"), query, body)
            await _send(send, reply, {})
            return
        me = _ME.match(path)
        if me:
            reply = self._paragon_me(headers, me.group("project"))
            user = reply.body.get("userId") if isinstance(reply.body, dict) else None
            self._log(method, path, query, reply.status, body, Caller("paragon", user=user))
            await _send(send, reply, {})
            return

        proxy = _PROXY.match(path)
        raw_mode = False
        if proxy:
            hub_path = headers.get("x-paragon-proxy-url") or proxy.group("rest") or "/"
            hub_path = _FULL_URL.sub("", hub_path)
            if "?" in hub_path:  # X-Paragon-Proxy-Url may carry the query string
                hub_path, _, qs = hub_path.partition("?")
                query = QueryParams(qs)
            hub_path = "/" + hub_path.lstrip("/")
            raw_mode = headers.get("x-paragon-use-raw-response", "").lower() in ("1", "true")
            caller, problem = self._paragon_caller(headers, proxy.group("project"))
            if problem is not None:
                self._log(method, hub_path, query, problem.status, body, caller)
                await _send(send, problem, {})
                return
            base += f"/projects/{self.project_id}/sdk/proxy/hubspot"
        else:
            hub_path = path
            caller = None

        reply, hub_headers, logged = await self._hubspot(
            method, hub_path, query, body, headers, caller, base, send
        )
        if not logged:
            self._log(method, hub_path, query, reply.status, body, caller or Caller("direct"))
        if proxy and not raw_mode:
            reply, hub_headers = _wrap_for_paragon(reply), {}
        await _send(send, reply, hub_headers)

    async def _hubspot(
        self,
        method: str,
        path: str,
        query: QueryParams,
        body: bytes,
        headers: Headers,
        caller: Caller | None,
        base: str,
        send: Send,
    ) -> tuple[Reply, dict[str, str], bool]:
        """HubSpot's answer, after latency and faults; the flag says the request is logged already."""
        norm = path.rstrip("/") or "/"
        if self.faults.latency_seconds:
            await self.sleep(self.faults.latency_seconds)
        self.apply_due()
        fault = self.faults.take(method, norm)
        if fault is not None and fault.kind == "lost":
            # HubSpot acts on the request, but its answer never reaches the caller.
            reply, _ = self._answer(method, norm, query, body, headers, caller, base)
            self._log(method, norm, query, reply.status, body, caller or Caller("direct"))
            if fault.answer_status is not None:
                lost = Reply(fault.answer_status, fault_error(fault.answer_status).body())
                lost.headers["x-hubspot-correlation-id"] = str(uuid.uuid4())
                return lost, lost.headers, True
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]}
            )
            raise DroppedConnection(f"the sandbox lost the answer to {method} {path}")
        if fault is not None and fault.kind == "late":
            # HubSpot is slower than the caller waits: the caller times out, the request is carried
            # out when its time comes (before any later request is served).
            due = self.now() + timedelta(seconds=fault.seconds)
            self._late.append(_Late(due, method, norm, query, body, headers, caller, base))
            await self.sleep(fault.timeout)
            self.apply_due()
            raise SimulatedTimeout(f"the sandbox did not answer {method} {path} within {fault.timeout} s")
        try:
            if fault is not None:
                await self._apply_fault(fault, method, norm, query, body, caller, send)
        except (DroppedConnection, SimulatedTimeout):
            raise
        except errors.HubSpotError as exc:
            reply = Reply(exc.status, exc.body(), dict(exc.headers))
            reply.headers.setdefault("x-hubspot-correlation-id", str(uuid.uuid4()))
            return reply, reply.headers, False
        return (*self._answer(method, norm, query, body, headers, caller, base), False)

    def apply_due(self) -> None:
        """Carry out the late requests whose time has come (``late`` faults), in arrival order."""
        now = self.now()
        while self._late and self._late[0].due <= now:
            late = self._late.pop(0)
            reply, _ = self._answer(
                late.method, late.path, late.query, late.body, late.headers, late.caller, late.base
            )
            self._log(
                late.method, late.path, late.query, reply.status, late.body, late.caller or Caller("direct")
            )

    def _answer(
        self,
        method: str,
        norm: str,
        query: QueryParams,
        body: bytes,
        headers: Headers,
        caller: Caller | None,
        base: str,
    ) -> tuple[Reply, dict[str, str]]:
        """HubSpot's answer to one request (authentication, rate limits, the route)."""
        path = norm
        try:
            if caller is None:
                caller = self._direct_caller(headers)
                if caller is None:
                    raise errors.unauthorized()
            elif caller.rate_key == "invalid":
                raise errors.unauthorized()
            route, params, known = routes.match(method, norm)
            rate_headers = self.limiter.check(caller.rate_key, route is not None and route.is_search)
            if method == "DELETE":
                # The integration never deletes: record the call and refuse it without touching data.
                raise errors.method_not_allowed(method, norm)
            if route is None:
                if known:
                    raise errors.method_not_allowed(method, norm)
                raise errors.resource_not_found(f"No endpoint matches {method} {norm}")
            ctx = Ctx(self, method, norm, query, body, caller.scopes, base)
            reply = routes.call(route, ctx, params)
            reply.headers.update(rate_headers)
        except errors.HubSpotError as exc:
            reply = Reply(exc.status, exc.body(), dict(exc.headers))
        except Exception:  # a sandbox bug must still answer in HubSpot's shape, and be visible in logs
            log.exception("sandbox error on %s %s", method, path)
            reply = Reply(500, errors.HubSpotError(500, "internal error", "INTERNAL_ERROR").body())
        correlation = reply.body.get("correlationId") if isinstance(reply.body, dict) else None
        reply.headers.setdefault("x-hubspot-correlation-id", correlation or str(uuid.uuid4()))
        return reply, reply.headers

    async def _apply_fault(
        self,
        fault: Fault,
        method: str,
        path: str,
        query: QueryParams,
        body: bytes,
        caller: Caller | None,
        send: Send,
    ) -> None:
        if fault.kind == "delay":
            await self.sleep(fault.seconds)
            return
        if fault.kind == "status":
            raise fault_error(fault.status)
        if fault.kind == "timeout":
            await self.sleep(fault.seconds)
        # timeout and drop: the request is logged with status 0 and the connection is dropped.
        self._log(method, path, query, 0, body, caller or Caller("direct"))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        if fault.kind == "timeout":
            raise SimulatedTimeout(f"the sandbox did not answer {method} {path} within {fault.seconds} s")
        raise DroppedConnection(f"the sandbox dropped the connection for {method} {path}")

    def _paragon_me(self, headers: Headers, project: str) -> Reply:
        if project != self.project_id:
            return paragon_error(404, f"Project {project} not found.", "404")
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        sub = (
            verify_user_token(token, self.paragon_public_key_pem, self.project_id, self.now())
            if token
            else None
        )
        if sub is None:
            return Reply(200, {"authenticated": False})
        conns = self.credentials.user_connections(sub)
        wanted = headers.get("x-paragon-credential")
        chosen = next((c for c in conns if c.credential_id == wanted), None) if wanted else None
        chosen = chosen or next((c for c in conns if c.status == "VALID"), conns[0] if conns else None)
        hubspot: JSON
        if chosen is None:
            hubspot = {"enabled": False, "configuredWorkflows": {}}
        else:
            hubspot = {
                "enabled": chosen.status == "VALID",
                "credentialId": chosen.credential_id,
                "credentialStatus": chosen.status,
                "providerId": chosen.provider_id,
                "providerData": {"portalId": int(str(self.portal.account["portalId"]))},
                "configuredWorkflows": {},
                "allCredentials": [
                    {
                        "id": c.credential_id,
                        "dateCreated": c.created_at,
                        "dateUpdated": c.created_at,
                        "projectId": self.project_id,
                        "integrationId": "hubspot",
                        "personaId": sub,
                        "providerId": c.provider_id,
                        "providerData": {"portalId": int(str(self.portal.account["portalId"]))},
                        "status": c.status,
                        "isPreviewCredential": False,
                        "refreshFailureCount": 0,
                        "isRefreshing": False,
                    }
                    for c in conns
                ],
            }
        return Reply(
            200, {"authenticated": True, "userId": sub, "integrations": {"hubspot": hubspot}, "meta": {}}
        )


def _wrap_for_paragon(reply: Reply) -> Reply:
    """Without the raw-response header Paragon wraps JSON as ``{"output": ...}``; HubSpot errors become
    Paragon integration errors carrying HubSpot's status and body."""
    if reply.status < 400:
        return Reply(reply.status, {"output": reply.body})
    message = reply.body.get("message", "") if isinstance(reply.body, dict) else ""
    return Reply(
        reply.status,
        {
            "message": message,
            "code": str(reply.status),
            "status": reply.status,
            "meta": {"isIntegrationError": True, "status": reply.status, "output": reply.body},
        },
    )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send: Send, reply: Reply, extra: dict[str, str]) -> None:
    payload = b"" if reply.body is None else json.dumps(reply.body, separators=(",", ":")).encode()
    headers = {**extra, **reply.headers, "content-type": _JSON_TYPE, "content-length": str(len(payload))}
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": reply.status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


class SandboxApp:
    """The ASGI application; ``app.state.sandbox`` is its :class:`Sandbox`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.state = State()
        self.state.sandbox = sandbox

    @property
    def sandbox(self) -> Sandbox:
        """The emulated portal behind this app."""
        sandbox: Sandbox = self.state.sandbox
        return sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        await self.sandbox.handle(scope, receive, send)


def create_app(
    fixture: FixtureSource = "empty",
    *,
    project_id: str = "sandbox-project",
    paragon_public_key_pem: str | None = None,
    rate_limits: bool | RateLimits = False,
    clock: Clock | None = None,
    state_path: Path | None = None,
    sleep: Sleep | None = None,
) -> SandboxApp:
    """Build the sandbox app.

    Args:
        fixture: ``"empty"``, ``"demo"``, a YAML file path or a ``portal:`` block dict. Ignored when
            ``state_path`` already holds a portal.
        project_id: The Paragon project id served under ``/projects/{project_id}/sdk/``.
        paragon_public_key_pem: Public key that verifies Paragon user tokens; None makes a key pair
            (``sandbox.paragon_private_key_pem`` signs tokens in-process).
        rate_limits: Enable HubSpot's limits (True = 100 requests / 10 s per token, 5 searches / s),
            or pass a :class:`RateLimits` with other figures.
        clock: Returns the current time (UTC); inject one in tests.
        state_path: A SQLite file that keeps the portal across restarts.
        sleep: Awaitable sleep used for latency, delay and timeout faults (tests inject a fake).
    """
    sandbox = Sandbox(
        project_id=project_id,
        paragon_public_key_pem=paragon_public_key_pem,
        rate_limits=rate_limits,
        clock=clock,
        sleep=sleep,
        state_path=state_path,
    )
    if not sandbox.restore():
        sandbox.load_fixture(fixture)
    return SandboxApp(sandbox)
