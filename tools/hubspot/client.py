"""The async HubSpot client: every HubSpot request of the integration goes through here.

Each operation, in order: checks the connection's granted scopes (a missing scope raises
:class:`MissingScopes` and sends nothing), checks the request against the allow-list (no DELETE,
ever), waits on the per-portal rate limiter, sends through the Paragon proxy (or directly in
``direct`` mode), retries what is safe to retry, maps errors to typed exceptions and returns
typed pydantic models.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from tools import paragon
from tools.hubspot import retry as retry_policy
from tools.hubspot import scopes as scope_table
from tools.hubspot.allowlist import ALLOWED_REQUESTS, SLUG, ensure_allowed
from tools.hubspot.config import HubSpotClientConfig
from tools.hubspot.endpoints import BY_OPERATION as ENDPOINTS
from tools.hubspot.errors import (
    HubSpotError,
    MissingScopes,
    NotAllowed,
    NotFound,
    OutcomeUnknown,
    ReconnectRequired,
    UpstreamUnavailable,
    ValidationFailed,
    error_from_response,
    is_paragon_error_body,
)
from tools.hubspot.models import (
    AccountDetails,
    AssociatedObject,
    AssociationInput,
    CreateRequest,
    CrmObject,
    DefaultAssociationResult,
    Filter,
    FilterGroup,
    MergeRequest,
    Owner,
    ParagonMe,
    Pipeline,
    PipelineStage,
    Property,
    Role,
    SearchPage,
    SearchRequest,
    SearchResult,
    SettingsUser,
    Sort,
    Team,
    UpdateRequest,
)
from tools.hubspot.ratelimit import InMemoryRateLimiter, RateLimiter, RequestKind
from tools.hubspot.scopes import Operation, Requirement, ScopeGrant, ScopeGrants
from tools.hubspot.search import MAX_RESULTS, check_search, offset_of
from tools.hubspot.types import ACTIVITY_TYPES, ObjectType
from tools.hubspot.values import same_value

log = logging.getLogger("tools.hubspot")

M = TypeVar("M", bound=BaseModel)
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

CREATED_AFTER_SKEW_SECONDS: Final = 60.0
"""Slack for clock skew with HubSpot when looking for a record an ambiguous create may have made."""
_MATCH_PROPERTY_MAX_CHARS: Final = 256
_MATCH_PROPERTIES_MAX: Final = 5  # + the created-date filter = HubSpot's 6 filters per group
_MATCH_TOKENS_MAX: Final = 3
_IDENTITY_FIRST: Final = ("email", "domain", "name", "dealname", "firstname", "lastname", "hs_task_subject")
_TIME_SUFFIXES: Final = ("date", "_time")
_WORD = re.compile(r"[^\W_]{4,}")
CREATE_ATTEMPTS: Final = 3
"""A create whose answer was lost and whose record is surely absent is sent again, up to this many times in all."""

# --------------------------------------------------------------------------- connection and records


@dataclass(frozen=True, slots=True)
class Connection:
    """Who is calling: one tenant's HubSpot connection, acting as one Alysio user.

    Attributes:
        tenant_id: The Alysio workspace (tenant).
        user_id: The Alysio user id; it becomes the Paragon token's ``sub``.
        credential_id: Paragon credential id (``X-Paragon-Credential``) when the tenant has several.
    """

    tenant_id: str
    user_id: str
    credential_id: str | None = None

    @property
    def portal_key(self) -> str:
        """Rate-limit key: one HubSpot account per tenant credential."""
        return f"{self.tenant_id}:{self.credential_id or '-'}"


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP exchange, handed to the request hook (the audit log). Never holds a token."""

    operation: str
    method: str
    path_template: str
    object_type: str | None
    ids: tuple[str, ...]
    scopes: tuple[str, ...]
    status: int | None
    correlation_id: str | None
    latency_ms: float
    attempt: int
    tenant_id: str
    user_id: str
    credential_id: str | None = None
    error_kind: str | None = None


RequestHook = Callable[[RequestRecord], Awaitable[None]]


def _require_id(value: str, what: str = "record id") -> str:
    value = str(value).strip()
    if not value.isdigit():
        raise ValidationFailed(f"A HubSpot {what} is a number, got {value!r}.")
    return value


def _created_property(object_type: ObjectType) -> str:
    return "hs_createdate" if object_type in ACTIVITY_TYPES else "createdate"


def _match_filters(compared: Mapping[str, str]) -> list[Filter]:
    """Search filters that find a record holding ``compared`` (empty: nothing search can compare).

    Short single-line values are matched with ``EQ`` (identity keys first); when there are none,
    the longest text is matched by its most distinctive words (``CONTAINS_TOKEN``); the caller then
    compares whole values on what comes back.
    """
    short = [
        (k, v) for k, v in compared.items() if len(v) <= _MATCH_PROPERTY_MAX_CHARS and "\n" not in v.strip()
    ]
    short.sort(
        key=lambda kv: _IDENTITY_FIRST.index(kv[0]) if kv[0] in _IDENTITY_FIRST else len(_IDENTITY_FIRST)
    )
    if short:
        return [Filter(property_name=k, operator="EQ", value=v) for k, v in short[:_MATCH_PROPERTIES_MAX]]
    if not compared:
        return []
    prop, text = max(compared.items(), key=lambda kv: len(kv[1]))
    words = sorted(set(_WORD.findall(text)), key=lambda w: (-len(w), w))[:_MATCH_TOKENS_MAX]
    return [Filter(property_name=prop, operator="CONTAINS_TOKEN", value=w) for w in words]


# --------------------------------------------------------------------------- the client


@dataclass(slots=True)
class _Exchange:
    """What the sender needs to know about one logical request (shared by its retries)."""

    conn: Connection
    operation: Operation
    method: str
    path: str
    template: str
    object_type: ObjectType | None = None
    ids: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    requirement: Requirement = ()
    params: Mapping[str, Any] | None = None
    json: Any = None
    kind: RequestKind = "general"
    absolute_url: str | None = None
    attempt: int = field(default=1)


class HubSpotClient:
    """Async HubSpot client (one per process; it owns a pooled ``httpx.AsyncClient``).

    Args:
        config: Mode, URLs, Paragon project and key or token, limits and initial granted scopes
            (:meth:`HubSpotClientConfig.from_settings` builds it from the application settings).
        transport: httpx transport to use (``MockTransport`` in tests, ``ASGITransport`` for the
            in-process sandbox); the default opens real connections.
        clock: Wall-clock seconds since the epoch (tokens, "created after" checks, rate limiting).
        sleep: Async sleep used between retries and by the rate limiter; tests pass a fake.
        rate_limiter: Shared limiter; default an in-process one built from the config.
        request_hook: A first request hook (see :meth:`add_request_hook`).
    """

    def __init__(
        self,
        config: HubSpotClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        rate_limiter: RateLimiter | None = None,
        request_hook: RequestHook | None = None,
    ) -> None:
        self.config = config
        self.mode = config.mode
        self._clock = clock
        self._sleep = sleep
        self._hooks: list[RequestHook] = [request_hook] if request_hook is not None else []
        self._max_attempts = config.max_retries + 1
        self._limiter: RateLimiter = rate_limiter or InMemoryRateLimiter(
            requests=config.rate_limit_requests,
            window_seconds=config.rate_limit_window_seconds,
            search_per_second=config.rate_limit_search_per_second,
            clock=clock,
            sleep=sleep,
        )
        self.grants = ScopeGrants(config.granted_scopes)
        self._signer: paragon.ParagonTokenSigner | None = None
        self._me_url: str | None = None
        self._project_id: str | None = None
        if config.mode == "direct":
            self._base = config.hubspot_base_url.rstrip("/")
        else:
            # The config guarantees a project id and a key outside direct mode.
            assert config.paragon_project_id is not None and config.signing_key_pem is not None
            self._project_id = config.paragon_project_id
            self._signer = paragon.ParagonTokenSigner(
                self._project_id,
                config.signing_key_pem.get_secret_value(),
                ttl_seconds=config.token_ttl_seconds,
                clock=clock,
            )
            self._base = paragon.proxy_base_url(config.paragon_proxy_url, self._project_id)
            self._me_url = paragon.me_url(config.paragon_api_url, self._project_id)
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=config.timeout_seconds,
            headers={"Accept": "application/json", "User-Agent": "alysio-hubspot-agent"},
        )

    @property
    def clock(self) -> Clock:
        """The client's wall clock (epoch seconds): what "created after" checks are measured with."""
        return self._clock

    def __repr__(self) -> str:
        return f"HubSpotClient(mode={self.mode!r}, base={self._base!r})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> HubSpotClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def add_request_hook(self, hook: RequestHook) -> None:
        """Await ``hook`` with a :class:`RequestRecord` after every HTTP exchange.

        Hooks run in the order they were added. A hook that raises is logged and the next one
        still runs: the exchange already happened, so a failing hook never fails the call.
        """
        self._hooks.append(hook)

    # ----------------------------------------------------------------------- scopes

    def grant_for(self, conn: Connection) -> ScopeGrant:
        """The scopes this client believes the connection holds (narrowed on HubSpot's 403s)."""
        return self.grants.get(conn.tenant_id, conn.credential_id)

    def set_granted_scopes(self, conn: Connection, scopes: Iterable[str]) -> None:
        """Declare a connection's granted scopes explicitly."""
        self.grants.set(conn.tenant_id, conn.credential_id, scopes)

    def _authorize(
        self,
        conn: Connection,
        operation: Operation,
        object_types: Sequence[ObjectType | None],
        properties: Iterable[str] = (),
    ) -> tuple[Requirement, tuple[str, ...]]:
        granted = self.grant_for(conn).scopes
        props = tuple(properties)
        requirement: Requirement = ()
        for object_type in object_types:
            requirement += scope_table.check(operation, object_type, granted, properties=props)
        return requirement, tuple(scope_table.flatten(requirement))

    # ----------------------------------------------------------------------- transport

    def _headers(self, conn: Connection, *, hubspot: bool) -> dict[str, str]:
        if self._signer is None:
            token = self.config.access_token
            assert token is not None  # direct mode (the only one without a signer) requires it
            return {"Authorization": f"Bearer {token.get_secret_value()}"}
        headers = {"Authorization": f"Bearer {self._signer.token_for(conn.user_id)}"}
        if hubspot:
            headers.update(paragon.PROXY_HEADERS)
        if conn.credential_id:
            headers[paragon.CREDENTIAL_HEADER] = conn.credential_id
        return headers

    async def _emit(
        self,
        ex: _Exchange,
        status: int | None,
        correlation_id: str | None,
        started: float,
        error: HubSpotError | None,
    ) -> None:
        latency_ms = (time.perf_counter() - started) * 1000.0
        log.debug(
            "%s %s %s -> %s (%.1f ms, attempt %d)",
            ex.operation,
            ex.method,
            ex.template,
            status,
            latency_ms,
            ex.attempt,
        )
        if not self._hooks:
            return
        record = RequestRecord(
            operation=ex.operation,
            method=ex.method,
            path_template=ex.template,
            object_type=ex.object_type,
            ids=ex.ids,
            scopes=ex.scopes,
            status=status,
            correlation_id=correlation_id,
            latency_ms=latency_ms,
            attempt=ex.attempt,
            tenant_id=ex.conn.tenant_id,
            user_id=ex.conn.user_id,
            credential_id=ex.conn.credential_id,
            error_kind=error.kind if error else None,
        )
        for hook in self._hooks:
            try:
                await hook(record)
            except Exception:  # the exchange happened: a failing hook must not make it an error
                log.exception("request hook failed for %s %s", ex.method, ex.template)

    async def _send_once(self, ex: _Exchange) -> Any:
        """One HTTP exchange: allow-list, rate limit, send, decode, map errors."""
        if ex.absolute_url is None:
            ensure_allowed(ex.method, ex.path)
        await self._limiter.acquire(ex.conn.portal_key, ex.kind)
        url = ex.absolute_url or self._base + ex.path
        headers = self._headers(ex.conn, hubspot=ex.absolute_url is None)
        started = time.perf_counter()
        try:
            response = await self._http.request(
                ex.method, url, params=ex.params, json=ex.json, headers=headers
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached HubSpot: safe to send again, even for a create.
            error: HubSpotError = UpstreamUnavailable(
                f"Could not reach HubSpot ({type(exc).__name__}).", ambiguous=False
            )
            await self._emit(ex, None, None, started, error)
            raise error from None
        except httpx.TransportError as exc:
            error = UpstreamUnavailable(f"HubSpot did not answer ({type(exc).__name__}).", ambiguous=True)
            await self._emit(ex, None, None, started, error)
            raise error from None

        status = response.status_code
        body: Any = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
        if self._signer is not None:
            body = paragon.unwrap_output(body)
            if is_paragon_error_body(body) and status < 400:
                # The wrapped (non-raw) form reports Paragon's own failures in the body.
                code = body.get("status")
                status = code if isinstance(code, int) and code >= 400 else 502
        correlation_id = response.headers.get("x-hubspot-correlation-id")
        if isinstance(body, dict) and isinstance(body.get("correlationId"), str):
            correlation_id = body["correlationId"]

        if status < 400:
            await self._emit(ex, status, correlation_id, started, None)
            return body

        err = error_from_response(status, _provider_body(body), response.headers, required_scopes=ex.scopes)
        if isinstance(err, MissingScopes):
            # HubSpot knows better than our table: remember the refusal for this connection.
            self.grant_for(ex.conn).narrow(err.required, ex.requirement)
            err.required = list(ex.scopes) or err.required
        elif isinstance(err, ReconnectRequired) and self._signer is not None:
            self._signer.forget(ex.conn.user_id)
        await self._emit(ex, status, correlation_id, started, err)
        raise err

    async def _send(self, ex: _Exchange, *, retry_when: Callable[[BaseException], bool] | None = None) -> Any:
        """Send with retries (tenacity) while ``retry_when`` says the failure is safe to retry."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=retry_policy.wait_seconds,
            retry=retry_if_exception(retry_when or retry_policy.retryable),
            sleep=self._sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                ex.attempt = attempt.retry_state.attempt_number
                return await self._send_once(ex)
        raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover

    async def _get_pages(self, ex: _Exchange, model: type[M], page_size: int) -> list[M]:
        """Follow ``paging.next.after`` to the last page of a list endpoint."""
        items: list[M] = []
        after: str | None = None
        base_params = dict(ex.params or {})
        while True:
            params = {**base_params, "limit": page_size}
            if after:
                params["after"] = after
            ex.params = params
            body = await self._send(ex)
            items.extend(_results(model, body))
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return items

    def _exchange(
        self,
        conn: Connection,
        operation: Operation,
        object_types: Sequence[ObjectType | None] = (None,),
        *,
        path: Mapping[str, str] | None = None,
        ids: Sequence[str] = (),
        properties: Iterable[str] = (),
        **kwargs: Any,
    ) -> _Exchange:
        """One logical request of ``operation``: scopes checked, method and path from the endpoint table.

        Args:
            conn: Who is calling.
            operation: The operation; its row of :mod:`tools.hubspot.endpoints` gives the method
                and the path template.
            object_types: The object types whose scopes the operation needs (first: the record's).
            path: The template's placeholder values (ids already validated).
            ids: Record ids, for the request record.
            properties: Properties read (email content needs one more scope).
            **kwargs: Further :class:`_Exchange` fields (params, json, kind, absolute_url).

        Raises:
            MissingScopes: The connection lacks a scope (nothing is sent).
            NotAllowed: The operation is not supported on an object type.
        """
        requirement, scopes = self._authorize(conn, operation, object_types, properties)
        endpoint = ENDPOINTS[operation]
        return _Exchange(
            conn=conn,
            operation=operation,
            method=endpoint.method,
            path=endpoint.path(**(path or {})),
            template=endpoint.template,
            object_type=object_types[0],
            ids=tuple(ids),
            scopes=scopes,
            requirement=requirement,
            **kwargs,
        )

    # ----------------------------------------------------------------------- account and people

    async def account_details(self, conn: Connection) -> AccountDetails:
        """``GET /account-info/v3/details``: portal id, time zone, currency, UI domain."""
        ex = self._exchange(conn, "account_details")
        return _parse(AccountDetails, await self._send(ex))

    async def list_owners(
        self, conn: Connection, *, archived: bool = False, email: str | None = None
    ) -> list[Owner]:
        """``GET /crm/v3/owners``, every page. ``archived=True`` lists only archived owners."""
        params: dict[str, Any] = {"archived": "true" if archived else "false"}
        if email:
            params["email"] = email
        ex = self._exchange(conn, "list_owners", params=params)
        return await self._get_pages(ex, Owner, page_size=100)

    async def list_users(self, conn: Connection) -> list[SettingsUser]:
        """``GET /settings/v3/users``, every page."""
        ex = self._exchange(conn, "list_users")
        return await self._get_pages(ex, SettingsUser, page_size=100)

    async def list_roles(self, conn: Connection) -> list[Role]:
        """``GET /settings/v3/users/roles``."""
        ex = self._exchange(conn, "list_roles")
        return await self._get_pages(ex, Role, page_size=100)

    async def list_teams(self, conn: Connection) -> list[Team]:
        """``GET /settings/v3/users/teams``."""
        ex = self._exchange(conn, "list_teams")
        return await self._get_pages(ex, Team, page_size=100)

    # ----------------------------------------------------------------------- records

    async def search(self, conn: Connection, object_type: ObjectType, request: SearchRequest) -> SearchPage:
        """One page of ``POST /crm/v3/objects/{type}/search``.

        Raises:
            SearchRuleViolation: The request breaks HubSpot's search rules (nothing is sent).
        """
        ex = self._exchange(
            conn,
            "search",
            (object_type,),
            path={"objectType": object_type},
            properties=request.properties,
            kind="search",
        )
        check_search(request)
        ex.json = request.to_wire()
        return _parse(SearchPage, await self._send(ex))

    async def search_all(
        self,
        conn: Connection,
        object_type: ObjectType,
        request: SearchRequest,
        *,
        max_results: int = MAX_RESULTS,
    ) -> SearchResult:
        """Every page of a search, up to ``max_results`` and HubSpot's 10,000-result cap."""
        check_search(request)
        max_results = min(max_results, MAX_RESULTS)
        results: list[CrmObject] = []
        offset = offset_of(request.after)
        total = 0
        while True:
            limit = min(request.limit, MAX_RESULTS - offset, max_results - len(results))
            page_request = request.model_copy(
                update={"after": str(offset) if offset else None, "limit": limit}
            )
            page = await self.search(conn, object_type, page_request)
            total = page.total
            results.extend(page.results)
            nxt = page.next_after
            if nxt is None:
                return SearchResult(total=total, results=results, truncated=False)
            offset = offset_of(nxt)
            if len(results) >= max_results or offset >= MAX_RESULTS:
                return SearchResult(total=total, results=results, truncated=True)

    async def get_object(
        self,
        conn: Connection,
        object_type: ObjectType,
        object_id: str,
        *,
        properties: Sequence[str] = (),
        associations: Sequence[ObjectType] = (),
    ) -> CrmObject:
        """``GET /crm/v3/objects/{type}/{id}`` with the given properties and associated types."""
        object_id = _require_id(object_id)
        params: dict[str, str] = {}
        if properties:
            params["properties"] = ",".join(properties)
        if associations:
            params["associations"] = ",".join(associations)
        ex = self._exchange(
            conn,
            "get_object",
            (object_type, *associations),
            path={"objectType": object_type, "objectId": object_id},
            ids=(object_id,),
            properties=properties,
            params=params,
        )
        return _parse(CrmObject, await self._send(ex))

    async def list_associations(
        self, conn: Connection, from_type: ObjectType, from_id: str, to_type: ObjectType
    ) -> list[AssociatedObject]:
        """``GET /crm/v4/objects/{from}/{id}/associations/{to}``, every page."""
        from_id = _require_id(from_id)
        ex = self._exchange(
            conn,
            "list_associations",
            (from_type, to_type),
            path={"fromObjectType": from_type, "objectId": from_id, "toObjectType": to_type},
            ids=(from_id,),
        )
        return await self._get_pages(ex, AssociatedObject, page_size=500)

    async def list_pipelines(self, conn: Connection, object_type: ObjectType = "deals") -> list[Pipeline]:
        """``GET /crm/v3/pipelines/{type}``: every pipeline with its stages (to find pipeline ids)."""
        ex = self._exchange(
            conn,
            "list_pipelines",
            (object_type,),
            path={"objectType": object_type},
        )
        body = await self._send(ex)
        return _results(Pipeline, body)

    async def pipeline_stages(
        self, conn: Connection, object_type: ObjectType = "deals", pipeline_id: str = "default"
    ) -> list[PipelineStage]:
        """``GET /crm/v3/pipelines/{type}/{pipelineId}/stages``."""
        if not re.fullmatch(SLUG, pipeline_id):
            raise ValidationFailed(f"Not a pipeline id: {pipeline_id!r}.")
        ex = self._exchange(
            conn,
            "pipeline_stages",
            (object_type,),
            path={"objectType": object_type, "pipelineId": pipeline_id},
            ids=(pipeline_id,),
        )
        body = await self._send(ex)
        return _results(PipelineStage, body)

    async def list_properties(self, conn: Connection, object_type: ObjectType) -> list[Property]:
        """``GET /crm/v3/properties/{type}``: property definitions (names, types, options)."""
        ex = self._exchange(
            conn,
            "list_properties",
            (object_type,),
            path={"objectType": object_type},
        )
        body = await self._send(ex)
        return _results(Property, body)

    # ----------------------------------------------------------------------- writes

    async def create(
        self,
        conn: Connection,
        object_type: ObjectType,
        properties: Mapping[str, str],
        associations: Sequence[AssociationInput] = (),
        *,
        known_ids: Collection[str] = (),
    ) -> CrmObject:
        """``POST /crm/v3/objects/{type}`` with inline associations.

        A create is not idempotent, so it is never resent blindly: when it fails ambiguously (a
        timeout, a dropped connection or a 5xx after the request left), :meth:`find_created` looks
        for the record it may have made; found, it is returned; surely absent, the create is sent
        again (at most :data:`CREATE_ATTEMPTS` times in all).

        Args:
            known_ids: Records of this type the caller knows it made for other requests; never
                taken for this one's record.

        Raises:
            OutcomeUnknown: HubSpot's answer was lost and whether the record exists could not be
                established (it is not sent again).
        """
        body = CreateRequest(properties=dict(properties), associations=list(associations)).to_wire()
        ex = self._exchange(
            conn,
            "create",
            (object_type,),
            path={"objectType": object_type},
            json=body,
        )
        for attempt in range(1, CREATE_ATTEMPTS + 1):
            started = self._clock()
            try:
                return _parse(CrmObject, await self._send(ex, retry_when=retry_policy.retryable_unsent))
            except UpstreamUnavailable as exc:
                if not exc.ambiguous or isinstance(exc, OutcomeUnknown):
                    raise
                existing = await self.find_created(
                    conn, object_type, properties, since=started, exclude_ids=known_ids
                )
                if existing is not None:
                    log.info(
                        "create %s: found the record an ambiguous attempt made; not resending", object_type
                    )
                    return existing
                if attempt == CREATE_ATTEMPTS:
                    raise UpstreamUnavailable(
                        f"HubSpot kept failing to create the {object_type} record; none was created.",
                        status=exc.status,
                        ambiguous=False,
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def find_created(
        self,
        conn: Connection,
        object_type: ObjectType,
        properties: Mapping[str, str],
        *,
        since: float,
        exclude_ids: Collection[str] = (),
    ) -> CrmObject | None:
        """The record a create of ``properties`` sent at ``since`` (epoch seconds) made, if any.

        It never matches on creation time alone: records created since ``since`` (less clock skew)
        are searched by the sent values search can compare (``EQ`` on short values, identity keys
        first; ``CONTAINS_TOKEN`` on distinctive words of a long text), and a candidate counts only
        when every comparable sent value equals its stored one and it is not in ``exclude_ids``.
        A request may still be in flight and search lags writes, so absence is concluded only
        after searching again until ``since`` + ``write_settle_seconds`` + ``search_lag_seconds``.

        Raises:
            OutcomeUnknown: Nothing sent can be compared, or the search itself keeps failing.
        """
        compared = {
            k: v
            for k, v in properties.items()
            if v and not (k == "hs_timestamp" or k.endswith(_TIME_SUFFIXES))
        }
        filters = _match_filters(compared)
        if not filters:
            raise OutcomeUnknown(
                f"HubSpot did not confirm the new {object_type} record and there is nothing to look it up by; "
                "it was not sent again."
            )
        created_after = str(int((since - CREATED_AFTER_SKEW_SECONDS) * 1000))
        filters.append(
            Filter(property_name=_created_property(object_type), operator="GTE", value=created_after)
        )
        request = SearchRequest(
            filter_groups=[FilterGroup(filters=filters)],
            properties=sorted(compared),
            sorts=[Sort(property_name=_created_property(object_type), direction="ASCENDING")],
            limit=100,
        )
        deadline = since + self.config.write_settle_seconds + self.config.search_lag_seconds
        pause = 0.5
        while True:
            looked_at = self._clock()
            try:
                page = await self.search(conn, object_type, request)
            except HubSpotError as exc:
                raise OutcomeUnknown(
                    f"HubSpot did not confirm the new {object_type} record and looking for it failed "
                    f"({exc.kind}); it was not sent again."
                ) from None
            for record in page.results:
                if record.id not in exclude_ids and all(
                    same_value(record.properties.get(k), v) for k, v in compared.items()
                ):
                    return record
            if looked_at >= deadline:
                return None
            await self._sleep(min(pause, max(deadline - looked_at, 0.01)))
            pause = min(pause * 2, 2.0)

    async def update(
        self, conn: Connection, object_type: ObjectType, object_id: str, properties: Mapping[str, str]
    ) -> CrmObject:
        """``PATCH /crm/v3/objects/{type}/{id}`` (idempotent: retried like a read)."""
        object_id = _require_id(object_id)
        ex = self._exchange(
            conn,
            "update",
            (object_type,),
            path={"objectType": object_type, "objectId": object_id},
            ids=(object_id,),
            json=UpdateRequest(properties=dict(properties)).to_wire(),
        )
        return _parse(CrmObject, await self._send(ex))

    async def merge_companies(self, conn: Connection, primary_id: str, id_to_merge: str) -> CrmObject:
        """``POST /crm/v3/objects/companies/merge``; the primary's values win.

        HubSpot gives the merged company a new id and both old ids resolve to it. After an
        ambiguous failure the client reads both ids: if they resolve to one record the merge
        happened and that record is returned; only if they are still two records is it resent.
        """
        primary_id, id_to_merge = _require_id(primary_id), _require_id(id_to_merge)
        if primary_id == id_to_merge:
            raise ValidationFailed("A company cannot be merged into itself.")
        ex = self._exchange(
            conn,
            "merge",
            ("companies",),
            ids=(primary_id, id_to_merge),
            json=MergeRequest(primary_object_id=primary_id, object_id_to_merge=id_to_merge).to_wire(),
        )
        try:
            return _parse(CrmObject, await self._send(ex, retry_when=retry_policy.retryable_unsent))
        except UpstreamUnavailable as exc:
            if not exc.ambiguous:
                raise
            try:
                first = await self.get_object(conn, "companies", primary_id)
                second = await self.get_object(conn, "companies", id_to_merge)
            except (NotFound, UpstreamUnavailable):
                raise UpstreamUnavailable(
                    "HubSpot did not confirm the merge and its outcome could not be checked; it was not sent "
                    "again. Check both companies in HubSpot before retrying.",
                ) from None
            if first.id == second.id:
                return first
        return _parse(CrmObject, await self._send(ex, retry_when=retry_policy.retryable_unsent))

    async def associate_default(
        self, conn: Connection, from_type: ObjectType, from_id: str, to_type: ObjectType, to_id: str
    ) -> DefaultAssociationResult:
        """``PUT /crm/v4/objects/{from}/{id}/associations/default/{to}/{toId}`` (idempotent)."""
        from_id, to_id = _require_id(from_id), _require_id(to_id)
        ex = self._exchange(
            conn,
            "associate_default",
            (from_type, to_type),
            path={
                "fromObjectType": from_type,
                "fromObjectId": from_id,
                "toObjectType": to_type,
                "toObjectId": to_id,
            },
            ids=(from_id, to_id),
        )
        return _parse(DefaultAssociationResult, await self._send(ex) or {"status": "COMPLETE"})

    # ----------------------------------------------------------------------- Paragon

    async def paragon_me(self, conn: Connection) -> ParagonMe:
        """Paragon's ``GET /projects/{id}/sdk/me``: is HubSpot connected, which credential, its status.

        Raises:
            NotAllowed: In ``direct`` mode (there is no Paragon).
        """
        if self._me_url is None:
            raise NotAllowed("There is no Paragon connection in direct mode.")
        assert self._project_id is not None  # set with the Paragon URL
        ex = self._exchange(
            conn, "paragon_me", path={"projectId": self._project_id}, absolute_url=self._me_url
        )
        return _parse(ParagonMe, await self._send(ex))


# --------------------------------------------------------------------------- answers


def _parse(model: type[M], body: Any) -> M:
    """Validate a success body; an unexpected shape is HubSpot's (or the proxy's) fault, not ours."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise UpstreamUnavailable(
            f"HubSpot answered with an unexpected {model.__name__} shape ({exc.error_count()} problems).",
            ambiguous=False,
        ) from None


def _results(model: type[M], body: Any) -> list[M]:
    """The ``results`` list of a success body, validated."""
    items = body.get("results") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise UpstreamUnavailable("HubSpot answered without a results list.", ambiguous=False)
    return [_parse(model, item) for item in items]


def _provider_body(body: Any) -> Any:
    """HubSpot's error body, when Paragon embedded it in its own error envelope."""
    if not is_paragon_error_body(body):
        return body
    meta = body.get("meta") or {}
    if isinstance(meta, dict) and meta.get("isIntegrationError"):
        for key in ("body", "response", "data"):
            inner = meta.get(key)
            if isinstance(inner, dict) and ("category" in inner or "correlationId" in inner):
                return inner
    return body


__all__ = [
    "ALLOWED_REQUESTS",
    "Connection",
    "HubSpotClient",
    "HubSpotClientConfig",
    "RequestHook",
    "RequestRecord",
    "ensure_allowed",
]
