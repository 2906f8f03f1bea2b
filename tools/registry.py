"""The tool registry: one declarative spec per HubSpot tool.

The registry is the specification of the tools: ``docs/tools.md`` (:func:`tools_markdown`),
``alysio-agent tools`` and, later, the MCP tools are made from it, so they never disagree.
Required scopes are not written here: they are read from the scope table
(:mod:`tools.hubspot.scopes`) for the spec's operations and object types; endpoints come from
the endpoint table (:mod:`tools.hubspot.endpoints`).

Only reads are executable (:func:`langchain_tools`). A write spec describes the write (its
arguments, scopes, endpoint) but has no function that sends: every write goes through the
agent's proposal and the user's approval, never through a tool called directly.

There is deliberately no delete tool.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools.hubspot import scopes as scope_table
from tools.hubspot.endpoints import endpoint
from tools.hubspot.errors import NotAllowed
from tools.hubspot.models import FilterGroup, SearchRequest, Sort
from tools.hubspot.scopes import Operation
from tools.hubspot.types import ACTIVITY_TYPES, OBJECT_TYPES, ObjectType

if TYPE_CHECKING:  # LangChain and the HTTP client load only when tools are executed, not to list them
    from langchain_core.tools import BaseTool

    from tools.hubspot.client import Connection, HubSpotClient

Access = Literal["read", "write"]
ActivityType = Literal["tasks", "notes", "emails", "meetings", "calls"]
CoreType = Literal["contacts", "companies", "deals"]

# --------------------------------------------------------------------------- input models


class _Input(BaseModel):
    # Models often send 50000 for "50000": HubSpot property values are strings, so accept numbers.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class NoInput(_Input):
    """No arguments."""


class RecordRef(_Input):
    """A record to link to."""

    object_type: ObjectType = Field(description="Object type of the record, e.g. companies")
    record_id: str = Field(description="HubSpot record id (numeric string)")


class SearchRecordsInput(_Input):
    """Arguments of ``search_records``."""

    object_type: ObjectType = Field(description="Which records to search")
    query: str | None = Field(
        default=None, description="Free text matched against the default searchable properties"
    )
    filter_groups: list[FilterGroup] = Field(
        default_factory=list,
        description="Filters: AND within a group, OR between groups (max 5 groups, 6 filters each, 18 total)",
    )
    properties: list[str] = Field(default_factory=list, description="Properties to return")
    sort: Sort | None = Field(default=None, description="One sort rule")
    limit: int = Field(default=10, ge=1, le=200, description="Page size (max 200)")
    after: str | None = Field(default=None, description="Paging offset from the previous page's next_after")


class GetRecordInput(_Input):
    """Arguments of ``get_record``."""

    object_type: ObjectType
    record_id: str = Field(description="HubSpot record id (numeric string)")
    properties: list[str] = Field(
        default_factory=list, description="Properties to return (default set if empty)"
    )
    associations: list[ObjectType] = Field(
        default_factory=list, description="Associated object types to list"
    )


class CreateRecordInput(_Input):
    """Arguments of ``create_record``."""

    object_type: CoreType
    properties: dict[str, str] = Field(description="Property name → value (all values are strings)")
    associate_with: list[RecordRef] = Field(
        default_factory=list, description="Records to link the new one to"
    )


class UpdateRecordInput(_Input):
    """Arguments of ``update_record``."""

    object_type: ObjectType
    record_id: str
    properties: dict[str, str] = Field(description="Property name → new value; an empty string clears it")


class LogActivityInput(_Input):
    """Arguments of ``log_activity``."""

    activity_type: ActivityType
    properties: dict[str, str] = Field(
        description="Activity properties, including hs_timestamp (ISO 8601 or epoch ms)"
    )
    associate_with: list[RecordRef] = Field(
        min_length=1, description="Contacts, companies or deals it concerns"
    )

    @model_validator(mode="after")
    def _needs_a_timestamp(self) -> LogActivityInput:
        # HubSpot requires hs_timestamp on every activity (for meetings it defaults to the start time).
        has_start = self.activity_type == "meetings" and "hs_meeting_start_time" in self.properties
        if not self.properties.get("hs_timestamp") and not has_start:
            raise ValueError("hs_timestamp is required: when the activity happened (or, for a task, is due)")
        return self


class AssociateRecordsInput(_Input):
    """Arguments of ``associate_records``."""

    from_object_type: ObjectType
    from_record_id: str
    to_object_type: ObjectType
    to_record_id: str


class MergeCompaniesInput(_Input):
    """Arguments of ``merge_companies``."""

    primary_company_id: str = Field(description="The company whose values win")
    company_id_to_merge: str = Field(description="The duplicate merged into it")


class ListOwnersInput(_Input):
    """Arguments of ``list_owners``."""

    email: str | None = Field(default=None, description="Only the owner with this email")
    archived: bool = Field(default=False, description="List archived (deactivated) owners instead")


class PipelinesInput(_Input):
    """Arguments of ``list_pipelines``."""

    object_type: Literal["deals"] = "deals"


class PipelineStagesInput(_Input):
    """Arguments of ``get_pipeline_stages``."""

    object_type: Literal["deals"] = "deals"
    pipeline_id: str = Field(
        default="default", description="Pipeline id ('default' for the default pipeline)"
    )


class ListPropertiesInput(_Input):
    """Arguments of ``list_properties``."""

    object_type: ObjectType


class ListAssociationsInput(_Input):
    """Arguments of ``list_associations``."""

    object_type: ObjectType
    record_id: str
    to_object_type: ObjectType


# --------------------------------------------------------------------------- specs

Runner: TypeAlias = "Callable[[HubSpotClient, Connection, Any], Awaitable[Any]]"


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """Everything about one tool.

    Attributes:
        name: Tool name the model calls.
        description: What it does, in plain language.
        access: ``read`` or ``write`` (writes need the user's approval).
        object_types: Object types it acts on (empty for account-wide tools).
        operations: Client operations it performs (their scopes come from the scope table, their
            endpoints from the endpoint table).
        examples: Example user prompts.
        input_model: Pydantic model of its arguments.
        run: A read's function: calls the client with validated arguments and returns
            JSON-friendly data. A write has none (it is sent only after an approval, by the agent).

    Raises:
        ValueError: A write given a function, or a read without one.
    """

    name: str
    description: str
    access: Access
    object_types: tuple[ObjectType, ...]
    operations: tuple[Operation, ...]
    examples: tuple[str, ...]
    input_model: type[BaseModel]
    run: Runner | None = None

    def __post_init__(self) -> None:
        if self.access == "write" and self.run is not None:
            raise ValueError(
                f"{self.name}: a write tool has no function that sends (writes need an approval)"
            )
        if self.access == "read" and self.run is None:
            raise ValueError(f"{self.name}: a read tool needs its function")

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The endpoints it calls, ``METHOD /path/{template}`` (from the endpoint table)."""
        return tuple(endpoint(operation).spec for operation in self.operations)

    @property
    def scopes(self) -> list[str]:
        """Every scope named by the scope table for this tool's operations and object types."""
        targets: Sequence[ObjectType | None] = self.object_types or (None,)
        found: set[str] = set()
        for operation in self.operations:
            found.update(scope_table.scopes_for(operation, targets))
        return sorted(found)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``alysio-agent tools --format json``)."""
        return {
            "name": self.name,
            "description": self.description,
            "access": self.access,
            "object_types": list(self.object_types),
            "scopes": self.scopes,
            "endpoints": list(self.endpoints),
            "examples": list(self.examples),
        }


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


async def _search(c: HubSpotClient, conn: Connection, a: SearchRecordsInput) -> Any:
    request = SearchRequest(
        filter_groups=a.filter_groups,
        query=a.query,
        sorts=[a.sort] if a.sort else [],
        properties=a.properties,
        limit=a.limit,
        after=a.after,
    )
    page = await c.search(conn, a.object_type, request)
    return {"total": page.total, "results": _dump(page.results), "next_after": page.next_after}


async def _get(c: HubSpotClient, conn: Connection, a: GetRecordInput) -> Any:
    return _dump(
        await c.get_object(
            conn, a.object_type, a.record_id, properties=a.properties, associations=a.associations
        )
    )


async def _owners(c: HubSpotClient, conn: Connection, a: ListOwnersInput) -> Any:
    return _dump(await c.list_owners(conn, archived=a.archived, email=a.email))


async def _users(c: HubSpotClient, conn: Connection, a: NoInput) -> Any:
    return _dump(await c.list_users(conn))


async def _roles(c: HubSpotClient, conn: Connection, a: NoInput) -> Any:
    return _dump(await c.list_roles(conn))


async def _teams(c: HubSpotClient, conn: Connection, a: NoInput) -> Any:
    return _dump(await c.list_teams(conn))


async def _account(c: HubSpotClient, conn: Connection, a: NoInput) -> Any:
    return _dump(await c.account_details(conn))


async def _pipelines(c: HubSpotClient, conn: Connection, a: PipelinesInput) -> Any:
    return _dump(await c.list_pipelines(conn, a.object_type))


async def _stages(c: HubSpotClient, conn: Connection, a: PipelineStagesInput) -> Any:
    return _dump(await c.pipeline_stages(conn, a.object_type, a.pipeline_id))


async def _properties(c: HubSpotClient, conn: Connection, a: ListPropertiesInput) -> Any:
    return _dump(await c.list_properties(conn, a.object_type))


async def _list_associations(c: HubSpotClient, conn: Connection, a: ListAssociationsInput) -> Any:
    return _dump(await c.list_associations(conn, a.object_type, a.record_id, a.to_object_type))


_CORE: Final[tuple[ObjectType, ...]] = ("contacts", "companies", "deals")

TOOLS: Final[tuple[ToolSpec, ...]] = (
    ToolSpec(
        name="search_records",
        description="Find contacts, companies, deals or activities by text or by property filters.",
        access="read",
        object_types=OBJECT_TYPES,
        operations=("search",),
        examples=("How many open deals does Globex have?", "Find Jane Doe at Acme"),
        input_model=SearchRecordsInput,
        run=_search,
    ),
    ToolSpec(
        name="get_record",
        description="Read one record's properties and, optionally, what it is linked to.",
        access="read",
        object_types=OBJECT_TYPES,
        operations=("get_object",),
        examples=("What stage is the Acme expansion deal in?", "Show me Jane's phone number"),
        input_model=GetRecordInput,
        run=_get,
    ),
    ToolSpec(
        name="create_record",
        description="Create a contact, company or deal, linked to existing records.",
        access="write",
        object_types=_CORE,
        operations=("create",),
        examples=(
            "Create a new deal for Acme Corp, 50k",
            "Add Dana Lee (dana@initech.com) as a contact at Initech",
        ),
        input_model=CreateRecordInput,
    ),
    ToolSpec(
        name="update_record",
        description="Change property values of an existing record (stage, amount, owner, close date...).",
        access="write",
        object_types=OBJECT_TYPES,
        operations=("update",),
        examples=("Move the Acme deal to Contract Sent", "Set Jane's lifecycle stage to customer"),
        input_model=UpdateRecordInput,
    ),
    ToolSpec(
        name="log_activity",
        description="Log a note, call, meeting, email or task against contacts, companies or deals.",
        access="write",
        object_types=ACTIVITY_TYPES,
        operations=("create",),
        examples=(
            "Log a call with Jane: she wants a demo next week",
            "Remind me to follow up with Acme on Friday",
        ),
        input_model=LogActivityInput,
    ),
    ToolSpec(
        name="associate_records",
        description="Link two existing records with HubSpot's default association.",
        access="write",
        object_types=OBJECT_TYPES,
        operations=("associate_default",),
        examples=("Link Dana to Initech", "Attach the Globex renewal deal to John Smith"),
        input_model=AssociateRecordsInput,
    ),
    ToolSpec(
        name="merge_companies",
        description="Merge a duplicate company into another; the primary company's values win.",
        access="write",
        object_types=("companies",),
        operations=("merge",),
        examples=("Merge Acme Inc into Acme Corp",),
        input_model=MergeCompaniesInput,
    ),
    ToolSpec(
        name="list_owners",
        description="List the HubSpot owners records can be assigned to.",
        access="read",
        object_types=(),
        operations=("list_owners",),
        examples=("Assign the deal to Sam", "Who owns the most deals?"),
        input_model=ListOwnersInput,
        run=_owners,
    ),
    ToolSpec(
        name="list_users",
        description="List the HubSpot account's users with their roles and teams.",
        access="read",
        object_types=(),
        operations=("list_users",),
        examples=("Which HubSpot users do we have?",),
        input_model=NoInput,
        run=_users,
    ),
    ToolSpec(
        name="list_roles",
        description="List the permission roles defined in the HubSpot account.",
        access="read",
        object_types=(),
        operations=("list_roles",),
        examples=("What roles exist in HubSpot?",),
        input_model=NoInput,
        run=_roles,
    ),
    ToolSpec(
        name="list_teams",
        description="List the HubSpot teams and their members.",
        access="read",
        object_types=(),
        operations=("list_teams",),
        examples=("Who is on the EMEA sales team?",),
        input_model=NoInput,
        run=_teams,
    ),
    ToolSpec(
        name="get_account_details",
        description="Read the connected HubSpot account: portal id, time zone, currency.",
        access="read",
        object_types=(),
        operations=("account_details",),
        examples=("Which HubSpot account am I connected to?",),
        input_model=NoInput,
        run=_account,
    ),
    ToolSpec(
        name="list_pipelines",
        description="List the deal pipelines with their stages.",
        access="read",
        object_types=("deals",),
        operations=("list_pipelines",),
        examples=("What pipelines do we have?",),
        input_model=PipelinesInput,
        run=_pipelines,
    ),
    ToolSpec(
        name="get_pipeline_stages",
        description="List the stages of one deal pipeline, in order.",
        access="read",
        object_types=("deals",),
        operations=("pipeline_stages",),
        examples=("What are the stages of the sales pipeline?",),
        input_model=PipelineStagesInput,
        run=_stages,
    ),
    ToolSpec(
        name="list_properties",
        description="List the properties of an object type, with their types and allowed values.",
        access="read",
        object_types=OBJECT_TYPES,
        operations=("list_properties",),
        examples=("What lead statuses can a contact have?", "Which fields does a deal have?"),
        input_model=ListPropertiesInput,
        run=_properties,
    ),
    ToolSpec(
        name="list_associations",
        description="List the records linked to a record (e.g. a company's contacts or deals).",
        access="read",
        object_types=OBJECT_TYPES,
        operations=("list_associations",),
        examples=("Which contacts are at Acme?", "What deals is Jane involved in?"),
        input_model=ListAssociationsInput,
        run=_list_associations,
    ),
)

TOOLS_BY_NAME: Final[dict[str, ToolSpec]] = {spec.name: spec for spec in TOOLS}

# --------------------------------------------------------------------------- LangChain


def langchain_tool(spec: ToolSpec, client: HubSpotClient, conn: Connection) -> BaseTool:
    """One read spec as a LangChain ``StructuredTool`` bound to a client and a connection.

    HubSpot errors propagate as typed :class:`~tools.hubspot.errors.HubSpotError`; the agent
    decides how to tell the user.

    Raises:
        NotAllowed: ``spec`` is a write: no executable write tool exists, a write is sent only
            after the user approved the agent's proposal.
    """
    from langchain_core.tools import StructuredTool

    runner = spec.run
    if spec.access != "read" or runner is None:
        raise NotAllowed(
            f"{spec.name} writes to HubSpot: writes are proposed and approved, never run as a tool."
        )

    async def run(**kwargs: Any) -> Any:
        return await runner(client, conn, spec.input_model.model_validate(kwargs))

    return StructuredTool.from_function(
        coroutine=run,
        name=spec.name,
        description=spec.description,
        args_schema=spec.input_model,
        metadata={"access": spec.access, "scopes": spec.scopes},
    )


def langchain_tools(client: HubSpotClient, conn: Connection) -> list[BaseTool]:
    """Every read tool of the registry, bound to ``client`` and ``conn`` (there are no write tools)."""
    return [langchain_tool(spec, client, conn) for spec in TOOLS if spec.access == "read"]


# --------------------------------------------------------------------------- rendering


def tools_json() -> list[dict[str, Any]]:
    """The registry as a JSON-friendly list."""
    return [spec.to_dict() for spec in TOOLS]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def tools_markdown() -> str:
    """The markdown page ``docs/tools.md`` holds (a test keeps the two identical)."""
    lines = [
        "# HubSpot tools",
        "",
        "Generated from `tools/registry.py` by `alysio-agent tools --format markdown`; do not edit by hand.",
        "Every write asks for the user's approval first. No tool deletes anything.",
        "",
        "| Tool | What it does | Reads/writes | Example prompts | Scopes |",
        "|---|---|---|---|---|",
    ]
    for spec in TOOLS:
        examples = "<br>".join(f"“{_cell(e)}”" for e in spec.examples)
        scopes = ", ".join(f"`{s}`" for s in spec.scopes)
        access = "reads" if spec.access == "read" else "writes"
        lines.append(f"| `{spec.name}` | {_cell(spec.description)} | {access} | {examples} | {scopes} |")
    lines += [
        "",
        "## Scopes per operation",
        "",
        "From `tools/hubspot/scopes.py`. Notes, tasks, calls, meetings and emails are authorized by the",
        "contacts scopes; reading email content (`hs_email_text`, `hs_email_html`, ...) also needs",
        "`sales-email-read`.",
        "",
        "| Operation | contacts | companies | deals | notes, tasks, calls, meetings, emails | account-wide |",
        "|---|---|---|---|---|---|",
    ]
    present = {operation for operation, _ in scope_table.SCOPE_TABLE}
    for operation in (op for op in get_args(Operation) if op in present):
        cells = [_scope_cell(operation, t) for t in ("contacts", "companies", "deals", "tasks", None)]
        lines.append(f"| `{operation}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _scope_cell(operation: Operation, object_type: ObjectType | None) -> str:
    req = scope_table.SCOPE_TABLE.get((operation, object_type))
    if req is None:
        return "—"
    return scope_table.describe(req).replace(" or ", " or<br>")


def render_tools(format: str = "table") -> None:
    """Print the registry: ``table`` (Rich), ``json`` or ``markdown`` (the docs page).

    Raises:
        ValueError: Unknown format.
    """
    if format == "json":
        sys.stdout.write(json.dumps(tools_json(), indent=2, ensure_ascii=False) + "\n")
    elif format == "markdown":
        sys.stdout.write(tools_markdown())
    elif format == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table(title="HubSpot tools", show_lines=True)
        for column in ("Tool", "What it does", "Access", "Examples", "Scopes", "Endpoints"):
            table.add_column(column)
        for spec in TOOLS:
            table.add_row(
                spec.name,
                spec.description,
                spec.access,
                "\n".join(spec.examples),
                "\n".join(spec.scopes),
                "\n".join(spec.endpoints),
            )
        Console().print(table)
    else:
        raise ValueError(f"unknown format {format!r}: use table, json or markdown")
