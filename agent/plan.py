"""The typed plan of one user turn: what both planners produce and the graph executes.

The model planner returns this as structured output (one call per turn) and the offline planner
builds it deterministically; everything after ``understand`` reads only the plan, never the raw
text. The schema is deliberately flat and JSON-schema friendly (no free-form dicts: lists of
``{property, value}`` pairs instead) so OpenAI's strict structured outputs accept it.

Values are already normalised by the planner where that needs no HubSpot lookup: amounts are
plain decimal strings (``"50000"``), dates are ``YYYY-MM-DD`` and datetimes ISO-8601 UTC, both
computed in the user's timezone from the turn's clock. What needs HubSpot to resolve (a stage
label, an owner's name, a record's name) stays in the user's words with a ``kind`` saying how
to resolve it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.hubspot.models import FilterOperator
from tools.hubspot.types import ObjectType

Intent = Literal[
    "question",  # a read: counts, lists, lookups, analysis, metadata
    "create",  # new CRM record(s)
    "update",  # change field values of existing record(s)
    "log_activity",  # a note, call, meeting, email or task logged against records
    "associate",  # link existing records
    "merge_companies",  # merge two duplicate companies
    "answer",  # a reply to the pending confirmation or question
    "unsupported",  # refused or not understood (see ``refusal`` / ``not_understood``)
]

ValueKind = Literal[
    "literal",  # ``value`` is HubSpot's string form already
    "stage",  # a deal stage label in the user's words ("contract sent") -> stage id
    "owner",  # an owner: "me", a name or an email -> owner id
    "pipeline",  # a pipeline label -> pipeline id
]

Operator = FilterOperator
"""HubSpot search operators (the client's own definition)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Mention(_Model):
    """A record the user names or points back to.

    Attributes:
        object_type: The record's type.
        text: The user's words for it ("Acme", "Jane Doe", "jane@acme.com"); empty when
            ``refers_back`` is set and nothing else was said.
        refers_back: "that deal", "her", "it", "the same company": the record comes from the
            conversation (an earlier turn), not from a search.
        qualifier: A distinguishing detail the user gave ("at Initech", "the 50k one"), used
            to choose among several candidates.
    """

    object_type: ObjectType
    text: str = ""
    refers_back: bool = False
    qualifier: str | None = None


class Value(_Model):
    """One property value to write (or an edit at confirmation).

    Attributes:
        property: HubSpot's internal property name (``amount``, ``closedate``, ``dealstage``).
        value: HubSpot's string form for ``literal``; the user's words for the other kinds.
        kind: How ``value`` is turned into what HubSpot stores.
    """

    property: str
    value: str
    kind: ValueKind = "literal"


ActivityType = Literal["notes", "calls", "meetings", "emails", "tasks"]


class Activity(_Model):
    """What to log, in type-neutral words; ``agent.activities`` maps it to HubSpot properties.

    Attributes:
        type: Which engagement object to create.
        subject: Title or subject (call title, meeting title, email subject, task subject).
        body: The text (note body, call notes, meeting description, email text, task notes).
        when: ISO-8601 UTC: when it happened, the meeting start, or a task's due time.
        end: ISO-8601 UTC end of a meeting.
        direction: ``INBOUND``/``OUTBOUND`` for calls; ``EMAIL``/``INCOMING_EMAIL`` for emails.
        status: Call status (``COMPLETED``...), meeting outcome (``SCHEDULED``...), task status.
        priority: Task priority (``LOW``, ``MEDIUM``, ``HIGH``).
    """

    type: ActivityType
    subject: str | None = None
    body: str | None = None
    when: str | None = None
    end: str | None = None
    direction: str | None = None
    status: str | None = None
    priority: str | None = None


class Write(_Model):
    """One write the user asked for; each becomes exactly one HubSpot request after approval.

    Attributes:
        op: ``create`` (with inline associations), ``update`` (PATCH), ``associate`` (v4 default
            PUT from ``target`` to each of ``associate_with``), ``merge`` (``target`` is the primary
            company, ``merge_from`` is merged into it).
        object_type: The type created or changed.
        target: The existing record to update, associate from, or keep in a merge.
        values: Property values (create, update).
        activity: For logged activities: what to log (create of an engagement type).
        associate_with: Records to link the new or target record to.
        merge_from: The duplicate company merged into ``target``.
    """

    op: Literal["create", "update", "associate", "merge"]
    object_type: ObjectType
    target: Mention | None = None
    values: list[Value] = Field(default_factory=list)
    activity: Activity | None = None
    associate_with: list[Mention] = Field(default_factory=list)
    merge_from: Mention | None = None


class Condition(_Model):
    """A filter of a question, in HubSpot's search terms (values resolved like :class:`Value`)."""

    property: str
    operator: Operator
    value: str | None = None
    high_value: str | None = None
    values: list[str] = Field(default_factory=list)
    kind: ValueKind = "literal"


QuestionKind = Literal[
    "list",  # records matching conditions
    "count",  # how many records match
    "lookup",  # one record's details (``about``), optionally only ``fields``
    "associations",  # records of ``object_type`` associated with ``about`` ("Jane's deals")
    "sum",  # total amount of matching deals
    "pipeline_by_stage",  # open pipeline value (and count) per stage
    "win_rate",  # won / (won + lost) over matching deals
    "owners",  # the portal's owners (who can own records)
    "users",  # settings users and roles
    "teams",  # teams and their members
    "pipelines",  # pipelines and their stages
    "properties",  # the properties of ``object_type`` (and their options)
    "account",  # account details (portal id, time zone, currency)
]


class Question(_Model):
    """A read the user asked for.

    Attributes:
        kind: What is asked (see :data:`QuestionKind`).
        object_type: The records asked about (deals for "my deals closing this month").
        conditions: Filters, AND-ed.
        deal_status: For deals: ``open`` (not in a closed stage), ``won``, ``lost``, ``closed``;
            resolved with the pipelines' stage metadata.
        about: The specific record asked about (lookup, associations).
        fields: Property names asked for ("who owns" -> ``hubspot_owner_id``, "what stage" ->
            ``dealstage``); empty means a sensible default set.
        sort_by: Property to sort by; ``descending`` for largest/latest first.
        limit: How many records to show at most (None: all that match, up to the cap).
    """

    kind: QuestionKind
    object_type: ObjectType | None = None
    conditions: list[Condition] = Field(default_factory=list)
    deal_status: Literal["open", "won", "lost", "closed"] | None = None
    about: Mention | None = None
    fields: list[str] = Field(default_factory=list)
    sort_by: str | None = None
    descending: bool = True
    limit: int | None = None


class Answer(_Model):
    """The user's reply to what the agent asked last (a confirmation or a question).

    Attributes:
        decision: ``approve`` / ``reject`` a pending confirmation; ``edit`` it with ``edits``;
            ``choose`` a candidate of a pending question with ``choice``; ``cancel`` whatever is
            pending; ``unclear`` when the reply fits none of these.
        edits: Changed values ("make it 60k" -> amount 60000).
        choice: How the user picked ("the one at Initech", "2", "Jane Smith", "create it").
    """

    decision: Literal["approve", "reject", "edit", "choose", "cancel", "unclear"]
    edits: list[Value] = Field(default_factory=list)
    choice: str | None = None


Refusal = Literal["delete", "archive", "bulk", "outside_integration"]


class Plan(_Model):
    """The plan of one user turn.

    Attributes:
        intent: The kind of turn.
        writes: Writes in order (create, update, log_activity, associate, merge_companies).
        question: The read (intent ``question``).
        answer: The reply to what is pending (intent ``answer``).
        refusal: Why the request is refused (intent ``unsupported``): this integration never
            deletes or archives, never rewrites records in bulk, and calls only its endpoints.
        not_understood: Parts of the message the planner could not map, reported to the user
            instead of guessed.
        wants_summary: The user asked for a written summary (the only case that may cost a
            second model call in a turn).
    """

    intent: Intent
    writes: list[Write] = Field(default_factory=list)
    question: Question | None = None
    answer: Answer | None = None
    refusal: Refusal | None = None
    not_understood: list[str] = Field(default_factory=list)
    wants_summary: bool = False
