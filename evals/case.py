"""The eval case format (``EVAL_CASES.md``): strict pydantic models and YAML loading with line numbers.

Every mapping forbids unknown keys, so a typo (``confrim: true``) is an error instead of a
silently weaker case. Errors name the file, the line and the key path::

    evals/cases/deal-create.yaml:14: turns[1].expect.confrim: Extra inputs are not permitted

YAML is composed into nodes first (PyYAML keeps each node's position), converted to plain data
while remembering the line of every key and list item, and then validated; a pydantic error's
``loc`` is mapped back to the nearest recorded line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from tools.yamlsafe import YamlRefused, check_expansion, read_text

ObjectType = Literal["contacts", "companies", "deals", "tasks", "notes", "emails", "meetings", "calls"]
ErrorKind = Literal[
    "reconnect",
    "missing_scope",
    "not_allowed",
    "rate_limited",
    "upstream",
    "not_found",
    "expired",
    "not_requester",
    # Also surfaced by the agent (HubSpot's 400 and 409); accepted so cases can name them.
    "validation",
    "conflict",
]
MATCHER_KEYS = ("contains", "icontains", "date", "owner", "stage", "set")
CASSETTE_SUFFIX = ".cassette.yaml"

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_DURATION = re.compile(r"^(?:(\d+)([smhd]))+$")
_DURATION_PART = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


Loc: TypeAlias = tuple[str | int, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- property matchers


class Contains(_Strict):
    """The value contains ``contains`` (case-sensitive)."""

    contains: str


class IContains(_Strict):
    """The value contains ``icontains``, ignoring case."""

    icontains: str


class OnDate(_Strict):
    """A timestamp (or date) property that falls on this day in the case's timezone."""

    date: date


class OwnerRef(_Strict):
    """The HubSpot owner id of the portal owner with this ref."""

    owner: str


class StageLabel(_Strict):
    """The internal id of the deal stage with this label."""

    stage: str


class IsSet(_Strict):
    """Any non-empty value."""

    set: Literal[True]


def _matcher_form(value: Any) -> Any:
    """Reject unknown matcher names and YAML scalars that are not HubSpot's string form."""
    if isinstance(value, dict):
        keys = list(value)
        if len(keys) != 1 or keys[0] not in MATCHER_KEYS:
            raise ValueError(f"unknown matcher {keys}; use a string or one of: {', '.join(MATCHER_KEYS)}")
        return value
    if isinstance(value, bool | float):
        raise ValueError(f'{value!r} is not a string: quote HubSpot\'s string form (e.g. "true", "50000")')
    if isinstance(value, int):
        return str(value)  # an unquoted 50000 means HubSpot's "50000"
    return value


Matcher: TypeAlias = Annotated[
    str | Contains | IContains | OnDate | OwnerRef | StageLabel | IsSet, BeforeValidator(_matcher_form)
]


def _edit_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise ValueError("an edited value must be a string or a number")
    return str(value)


EditValue: TypeAlias = Annotated[str, BeforeValidator(_edit_value)]


# --------------------------------------------------------------------------- context and portal


class User(_Strict):
    """An Alysio user of the tenant."""

    id: str
    email: str
    name: str = ""


class By(_Strict):
    """Another Alysio user of the same tenant sending a turn."""

    id: str
    email: str = ""


def _scopes_form(value: Any) -> Any:
    if isinstance(value, str) and value != "default":
        raise ValueError("scopes is 'default' or a list of scope names")
    return value


class Context(_Strict):
    """Who asks, when, in which timezone, and through which connection."""

    now: datetime
    timezone: str = "UTC"
    user: User = User(id="u-eval", email="eval.user@example.com", name="Eval User")
    scopes: Annotated[Literal["default"] | list[str], BeforeValidator(_scopes_form)] = "default"
    connection: Literal["ok", "revoked"] = "ok"

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("now needs a timezone (e.g. 2026-03-02T10:00:00Z)")
        return value.astimezone(UTC)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value


def _portal_scalar(value: Any) -> Any:
    """An unquoted YAML date or timestamp in a portal record means its ISO text."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


PortalValue: TypeAlias = Annotated[
    str | int | float | bool | dict[Literal["owner", "stage"], str] | dict[Literal["days"], int],
    BeforeValidator(_portal_scalar),
]


class PortalAssociation(_Strict):
    to: ObjectType
    ref: str


class PortalRecord(_Strict):
    ref: str
    properties: dict[str, PortalValue] = Field(default_factory=dict)
    associations: list[PortalAssociation] = Field(default_factory=list)


class PortalOwner(_Strict):
    ref: str
    email: str
    firstName: str | None = None
    lastName: str | None = None
    archived: bool = False
    teams: list[str] = Field(default_factory=list)


class PortalUser(_Strict):
    ref: str
    email: str
    roleId: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    archived: bool = False


class PortalRole(_Strict):
    ref: str
    name: str


class PortalTeam(_Strict):
    ref: str
    name: str
    members: list[str] = Field(default_factory=list)
    secondaryMembers: list[str] = Field(default_factory=list)


class PortalStage(_Strict):
    label: str
    probability: float | None = None
    isClosed: bool | None = None


class PortalPipeline(_Strict):
    ref: str | None = None
    objectType: Literal["deals"] = "deals"
    label: str
    stages: list[PortalStage]


class PortalOption(_Strict):
    label: str
    value: str


class PortalProperty(_Strict):
    objectType: ObjectType
    name: str
    label: str
    type: Literal["string", "number", "date", "datetime", "enumeration", "bool"]
    fieldType: str
    options: list[PortalOption] = Field(default_factory=list)
    groupName: str | None = None


class Portal(_Strict):
    """Records, owners, users and metadata added to HubSpot's defaults (the sandbox fixture format)."""

    owners: list[PortalOwner] = Field(default_factory=list)
    users: list[PortalUser] = Field(default_factory=list)
    roles: list[PortalRole] = Field(default_factory=list)
    teams: list[PortalTeam] = Field(default_factory=list)
    pipelines: list[PortalPipeline] = Field(default_factory=list)
    properties: list[PortalProperty] = Field(default_factory=list)
    contacts: list[PortalRecord] = Field(default_factory=list)
    companies: list[PortalRecord] = Field(default_factory=list)
    deals: list[PortalRecord] = Field(default_factory=list)
    tasks: list[PortalRecord] = Field(default_factory=list)
    notes: list[PortalRecord] = Field(default_factory=list)
    emails: list[PortalRecord] = Field(default_factory=list)
    meetings: list[PortalRecord] = Field(default_factory=list)
    calls: list[PortalRecord] = Field(default_factory=list)

    def fixture(self) -> dict[str, Any]:
        """The block as the sandbox loader reads it (only the keys the case gave)."""
        return self.model_dump(mode="json", exclude_unset=True)

    def record_types(self) -> dict[str, ObjectType]:
        """ref → object type of every record the case starts with."""
        found: dict[str, ObjectType] = {}
        for object_type in (
            "contacts",
            "companies",
            "deals",
            "tasks",
            "notes",
            "emails",
            "meetings",
            "calls",
        ):
            for record in getattr(self, object_type):
                found[record.ref] = object_type
        return found


# --------------------------------------------------------------------------- turns


class Expect(_Strict):
    """What a turn must show; every key is optional."""

    confirm: bool | None = None
    clarify: bool | None = None
    writes: int | None = Field(default=None, ge=0)
    error: ErrorKind | None = None
    reply_contains: list[str] = Field(default_factory=list)
    reply_not_contains: list[str] = Field(default_factory=list)


class EditAction(_Strict):
    """The UI's edit-before-approve."""

    edit: dict[str, EditValue] = Field(min_length=1)


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if not _DURATION.fullmatch(text):
            raise ValueError(f"{value!r} is not a duration like 30m, 25h, 2d or 1d2h")
        parts = _DURATION_PART.findall(text)
        return sum((timedelta(**{_UNITS[unit]: int(n)}) for n, unit in parts), timedelta())
    raise ValueError("a duration is a string like 30m, 25h or 2d")


Duration: TypeAlias = Annotated[timedelta, BeforeValidator(_duration)]


class Turn(_Strict):
    """One user turn: a message (``user``) or a button press (``action``)."""

    user: str | None = None
    action: Literal["approve", "reject"] | EditAction | None = None
    by: By | None = None
    advance: Duration | None = None
    expect: Expect = Expect()

    @model_validator(mode="after")
    def _one_input(self) -> Turn:
        if (self.user is None) == (self.action is None):
            raise ValueError("a turn has exactly one of user (a message) or action (a button press)")
        return self

    @property
    def label(self) -> str:
        """How the turn is shown in failures."""
        if self.user is not None:
            return repr(self.user if len(self.user) <= 60 else self.user[:57] + "...")
        if isinstance(self.action, EditAction):
            return f"edit {self.action.edit}"
        return str(self.action)


# --------------------------------------------------------------------------- final state


class AssociationRef(_Strict):
    to: ObjectType
    ref: str


class Created(_Strict):
    type: ObjectType
    properties: dict[str, Matcher] = Field(default_factory=dict)
    associations: list[AssociationRef] = Field(default_factory=list)


class Updated(_Strict):
    ref: str
    properties: dict[str, Matcher] = Field(default_factory=dict)


class Merged(_Strict):
    primary: str
    merged: str


class Associated(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str = Field(alias="from")
    to: str


class Final(_Strict):
    """The portal after the last turn, compared with the start."""

    created: list[Created] = Field(default_factory=list)
    updated: list[Updated] = Field(default_factory=list)
    merged: list[Merged] = Field(default_factory=list)
    associated: list[Associated] = Field(default_factory=list)


class Limits(_Strict):
    hubspot_calls_max: int | None = Field(default=None, ge=0)


class Case(_Strict):
    """One eval conversation."""

    id: str
    title: str
    tags: list[str] = Field(default_factory=list)
    context: Context
    portal: Portal = Portal()
    turns: list[Turn] = Field(min_length=1)
    final: Final = Final()
    limits: Limits = Limits()

    @field_validator("id")
    @classmethod
    def _kebab(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError(f"{value!r} is not kebab-case (lowercase letters, digits and '-')")
        return value

    def reference_problems(self) -> list[tuple[Loc, str]]:
        """Refs in ``final`` that name nothing in ``portal`` (checked after the shape is valid)."""
        records = self.portal.record_types()
        owners = {o.ref for o in self.portal.owners}
        found: list[tuple[Loc, str]] = []
        for i, entry in enumerate(self.final.updated):
            if entry.ref not in records:
                found.append((("final", "updated", i, "ref"), f"no portal record with ref {entry.ref!r}"))
        for i, merge in enumerate(self.final.merged):
            for key, ref in (("primary", merge.primary), ("merged", merge.merged)):
                if records.get(ref) != "companies":
                    found.append((("final", "merged", i, key), f"{ref!r} is not a portal company"))
        for i, link in enumerate(self.final.associated):
            for key, ref in (("from", link.from_), ("to", link.to)):
                if ref not in records:
                    found.append((("final", "associated", i, key), f"no portal record with ref {ref!r}"))
        for i, created in enumerate(self.final.created):
            for j, assoc in enumerate(created.associations):
                if records.get(assoc.ref) != assoc.to:
                    found.append(
                        (
                            ("final", "created", i, "associations", j, "ref"),
                            f"no portal {assoc.to} with ref {assoc.ref!r}",
                        )
                    )
        entries: list[tuple[Loc, dict[str, Any]]] = []
        for i, c in enumerate(self.final.created):
            entries.append((("final", "created", i, "properties"), dict(c.properties)))
        for i, u in enumerate(self.final.updated):
            entries.append((("final", "updated", i, "properties"), dict(u.properties)))
        for loc, props in entries:
            for name, matcher in props.items():
                if isinstance(matcher, OwnerRef) and matcher.owner not in owners:
                    found.append(((*loc, name), f"no portal owner with ref {matcher.owner!r}"))
        return found


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Problem:
    """One mistake in a case file."""

    file: Path
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.key or '(top level)'}: {self.message}"


class CaseFileError(ValueError):
    """A case file that does not follow the format; :attr:`problems` lists every mistake found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedCase:
    """A validated case and where it came from."""

    case: Case
    path: Path

    @property
    def cassette_path(self) -> Path:
        """``<id>.cassette.yaml`` beside the case file."""
        return self.path.with_name(self.case.id + CASSETTE_SUFFIX)


class _Positions:
    """Plain data from a YAML document plus the line of every key and list item."""

    def __init__(self, loader: yaml.SafeLoader, file: Path) -> None:
        self.loader = loader
        self.file = file
        self.lines: dict[Loc, int] = {}
        self.problems: list[Problem] = []

    def convert(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # YAML merge keys (<<)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | bool | float) or isinstance(key, bool):
                    key = str(key)
                here = (*loc, key)
                if key in out:
                    self.problems.append(
                        Problem(self.file, key_node.start_mark.line + 1, _dotted(here), "duplicate key")
                    )
                self.lines[here] = key_node.start_mark.line + 1
                out[key] = self.convert(value_node, here)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node, deep=True)

    def line_of(self, loc: Loc) -> int:
        while loc and loc not in self.lines:
            loc = loc[:-1]
        return self.lines.get(loc, 1)


def _dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


# pydantic tags errors inside a union with the member's name (``str``, ``Contains``, ``literal[...]``).
_UNION_MEMBER = re.compile(r"^(?:str|int|float|bool|[a-z-]+\[.*\]|[A-Z]\w*)$")


def _data_loc(loc: tuple[str | int, ...], lines: dict[Loc, int]) -> Loc:
    """The part of a pydantic ``loc`` that names data (union member tags such as ``Contains`` dropped)."""
    out: list[str | int] = []
    for part in loc:
        candidate = (*out, part)
        if isinstance(part, str) and candidate not in lines and _UNION_MEMBER.match(part):
            continue
        out.append(part)
    return tuple(out)


def _problems_from(exc: ValidationError, positions: _Positions) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    problems: list[Problem] = []
    for err in exc.errors():
        loc = _data_loc(tuple(err["loc"]), positions.lines)
        key = _dotted(loc)
        message = err["msg"].removeprefix("Value error, ")
        if (key, message) in seen:
            continue
        seen.add((key, message))
        problems.append(Problem(positions.file, positions.line_of(loc), key, message))
    return problems


def parse_case(text: str, file: Path) -> Case:
    """Validate one case document.

    Args:
        text: The YAML text.
        file: Its path (for error messages).

    Raises:
        CaseFileError: The file is not valid YAML or does not follow the format.
    """
    try:
        check_expansion(text)
    except YamlRefused as exc:
        raise CaseFileError([Problem(file, 1, "", str(exc))]) from None
    except yaml.YAMLError:
        pass  # reported with its line below
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise CaseFileError([Problem(file, 1, "", "the file is empty")])
        positions = _Positions(loader, file)
        data = positions.convert(node, ())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise CaseFileError([Problem(file, line, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if positions.problems:
        raise CaseFileError(positions.problems)
    if not isinstance(data, dict):
        raise CaseFileError([Problem(file, 1, "", "a case is a mapping (id, title, context, turns...)")])
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise CaseFileError(_problems_from(exc, positions)) from None
    if found := case.reference_problems():
        raise CaseFileError([Problem(file, positions.line_of(loc), _dotted(loc), msg) for loc, msg in found])
    return case


def load_case(path: Path) -> LoadedCase:
    """Read and validate one case file.

    Raises:
        CaseFileError: See :func:`parse_case`.
    """
    try:
        text = read_text(path)
    except OSError as exc:
        raise CaseFileError([Problem(path, 1, "", f"cannot read: {exc.strerror}")]) from None
    except YamlRefused as exc:
        raise CaseFileError([Problem(path, 1, "", str(exc))]) from None
    return LoadedCase(parse_case(text, path), path)


def case_files(directory: Path) -> Iterator[Path]:
    """Every case file under ``directory`` (``*.yaml``/``*.yml``, cassettes excluded), sorted."""
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.suffix in (".yaml", ".yml") and not path.name.endswith(CASSETTE_SUFFIX):
            yield path


def load_cases(directory: Path) -> list[LoadedCase]:
    """Load every case under ``directory``; ids must be unique.

    Raises:
        CaseFileError: Every problem of every file (all files are checked before raising).
        FileNotFoundError: ``directory`` does not exist.
    """
    if not directory.is_dir():
        raise FileNotFoundError(f"no case directory {directory}")
    loaded: list[LoadedCase] = []
    problems: list[Problem] = []
    first_seen: dict[str, Path] = {}
    for path in case_files(directory):
        try:
            item = load_case(path)
        except CaseFileError as exc:
            problems.extend(exc.problems)
            continue
        if item.case.id in first_seen:
            problems.append(Problem(path, 1, "id", f"duplicate case id (also in {first_seen[item.case.id]})"))
            continue
        first_seen[item.case.id] = path
        loaded.append(item)
    if problems:
        raise CaseFileError(problems)
    return loaded
