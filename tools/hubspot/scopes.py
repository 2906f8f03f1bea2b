"""The scope table: which OAuth scopes each operation needs, per object type, in one place.

Sources (HubSpot's OpenAPI specs and scope docs): contacts, companies and deals use their own
``crm.objects.<type>.read|write`` scopes; notes, tasks, calls, meetings and emails are authorized
by the contacts scopes; email bodies need ``sales-email-read``; owners need
``crm.objects.owners.read``; users and roles ``settings.users.read``; teams
``settings.users.teams.read``; account details ``oauth``. Pipelines and properties of an object
type are read with that type's read scope.

A requirement is a tuple of alternatives (any one suffices); each alternative is a set of
scopes that must all be granted. The registry and ``docs/tools.md`` render this table.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Final, Literal

from tools.hubspot.errors import MissingScopes, NotAllowed
from tools.hubspot.types import ACTIVITY_TYPES, OBJECT_TYPES, ObjectType

Operation = Literal[
    "account_details",
    "list_owners",
    "list_users",
    "list_roles",
    "list_teams",
    "search",
    "get_object",
    "list_associations",
    "list_pipelines",
    "pipeline_stages",
    "list_properties",
    "create",
    "update",
    "merge",
    "associate_default",
    "paragon_me",
]

Requirement = tuple[frozenset[str], ...]
"""Any-of alternatives; each alternative's scopes are all required."""

EMAIL_BODY_PROPERTIES: Final[frozenset[str]] = frozenset(
    {"hs_email_text", "hs_email_html", "hs_email_headers", "hs_body_preview", "hs_body_preview_html"}
)
"""Email properties that hold message content: reading them needs ``sales-email-read``."""

SALES_EMAIL_READ: Final = "sales-email-read"


def _scope_owner(object_type: ObjectType) -> str:
    # Activities are authorized by the contacts scopes (HubSpot's per-object specs list nothing else).
    return "contacts" if object_type in ACTIVITY_TYPES else object_type


def _read(object_type: ObjectType) -> str:
    return f"crm.objects.{_scope_owner(object_type)}.read"


def _write(object_type: ObjectType) -> str:
    return f"crm.objects.{_scope_owner(object_type)}.write"


def _all(*scopes: str) -> Requirement:
    return (frozenset(scopes),)


def _build_table() -> dict[tuple[Operation, ObjectType | None], Requirement]:
    table: dict[tuple[Operation, ObjectType | None], Requirement] = {
        ("account_details", None): _all("oauth"),
        ("list_owners", None): _all("crm.objects.owners.read"),
        ("list_users", None): _all("settings.users.read"),
        ("list_roles", None): _all("settings.users.read"),
        ("list_teams", None): _all("settings.users.teams.read"),
        ("merge", "companies"): _all("crm.objects.companies.write"),
        ("list_pipelines", "deals"): _all("crm.objects.deals.read"),
        ("pipeline_stages", "deals"): _all("crm.objects.deals.read"),
        # Paragon's own endpoint: authorized by the user token alone.
        ("paragon_me", None): (frozenset(),),
    }
    for t in OBJECT_TYPES:
        table[("search", t)] = _all(_read(t))
        table[("get_object", t)] = _all(_read(t))
        table[("list_associations", t)] = _all(_read(t))
        table[("list_properties", t)] = _all(_read(t))
        table[("create", t)] = _all(_write(t))
        table[("update", t)] = _all(_write(t))
        table[("associate_default", t)] = _all(_write(t))
    return table


SCOPE_TABLE: Final[dict[tuple[Operation, ObjectType | None], Requirement]] = _build_table()
"""(operation, object type or None) → requirement. A pair absent from the table is not supported."""


def requirement(operation: Operation, object_type: ObjectType | None = None) -> Requirement:
    """The scope requirement of an operation on an object type.

    Raises:
        NotAllowed: The integration does not perform this operation on this object type
            (e.g. pipelines of contacts, merging deals).
    """
    try:
        return SCOPE_TABLE[(operation, object_type)]
    except KeyError:
        target = f" on {object_type}" if object_type else ""
        raise NotAllowed(f"The integration does not support {operation}{target}.") from None


def scopes_for(operation: Operation, object_types: Iterable[ObjectType | None]) -> list[str]:
    """Every scope named in the requirements of ``operation`` over ``object_types`` (sorted)."""
    found: set[str] = set()
    for t in object_types:
        if (operation, t) in SCOPE_TABLE:
            for alternative in SCOPE_TABLE[(operation, t)]:
                found |= alternative
    return sorted(found)


def missing(req: Requirement, granted: Collection[str]) -> list[str]:
    """The scopes of the first alternative to grant, or [] when some alternative is satisfied."""
    have = granted if isinstance(granted, set | frozenset) else set(granted)
    if any(alternative <= have for alternative in req):
        return []
    return sorted(req[0] - have)


def check(
    operation: Operation,
    object_type: ObjectType | None,
    granted: Collection[str],
    *,
    properties: Iterable[str] = (),
) -> Requirement:
    """Raise :class:`MissingScopes` unless ``granted`` authorizes the operation.

    Args:
        operation: The client operation.
        object_type: The object type it acts on (None for account-wide operations).
        granted: The connection's granted scopes.
        properties: Properties the operation reads; email content also needs ``sales-email-read``.

    Returns:
        The requirement that was checked (for the request record).
    """
    req = requirement(operation, object_type)
    lacking = missing(req, granted)
    if (
        object_type == "emails"
        and operation in ("search", "get_object")
        and EMAIL_BODY_PROPERTIES.intersection(properties)
        and SALES_EMAIL_READ not in granted
    ):
        lacking = sorted({*lacking, SALES_EMAIL_READ})
    if lacking:
        target = f" {object_type}" if object_type else ""
        raise MissingScopes(
            f"This HubSpot connection lacks {', '.join(lacking)} needed to {operation.replace('_', ' ')}{target}.",
            required=lacking,
        )
    return req


def flatten(req: Requirement) -> list[str]:
    """A requirement's scopes as a sorted list (for records and display)."""
    return sorted(set().union(*req)) if req else []


def describe(req: Requirement) -> str:
    """Human form: alternatives joined with `` or ``, scopes within one with `` + ``."""
    parts = [" + ".join(sorted(alt)) for alt in req if alt]
    return " or ".join(parts) if parts else "none"


@dataclass
class ScopeGrant:
    """The scopes one connection (tenant + credential) is believed to hold.

    Paragon does not expose granted scopes, so the set starts from the app's required scopes
    plus the optional ones known to be granted (or what the caller says), and is narrowed
    whenever HubSpot answers 403 ``MISSING_SCOPES``.
    """

    scopes: set[str] = field(default_factory=set)

    def narrow(self, refused: Iterable[str], requirement_checked: Requirement) -> None:
        """Forget scopes HubSpot says the connection lacks.

        HubSpot's ``requiredGranularScopes`` are any-of candidates, none of which the token
        holds: drop every one we believed granted. When HubSpot named none of ours, the
        table's requirement for the call was wrong for this connection: drop it instead.
        """
        refused_set = set(refused) & self.scopes
        if not refused_set:
            refused_set = set().union(*requirement_checked) & self.scopes if requirement_checked else set()
        self.scopes -= refused_set


class ScopeGrants:
    """Grants per (tenant, credential); one instance per client (a shared store can replace it)."""

    def __init__(self, initial: Iterable[str]) -> None:
        self._initial = frozenset(initial)
        self._grants: dict[tuple[str, str | None], ScopeGrant] = {}

    def get(self, tenant_id: str, credential_id: str | None) -> ScopeGrant:
        """The grant of a connection, created from the initial scopes on first use."""
        key = (tenant_id, credential_id)
        grant = self._grants.get(key)
        if grant is None:
            grant = self._grants[key] = ScopeGrant(set(self._initial))
        return grant

    def set(self, tenant_id: str, credential_id: str | None, scopes: Iterable[str]) -> ScopeGrant:
        """Replace a connection's grant with an explicit scope list."""
        grant = self._grants[(tenant_id, credential_id)] = ScopeGrant(set(scopes))
        return grant
