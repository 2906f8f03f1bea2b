"""Sending one approved step exactly once, across processes, crashes and a slow HubSpot.

The graph's ``send_step`` node hands each approved step to :class:`StepSender`, which:

1. **claims** the step in the write ledger (one row per step; the insert is the claim). The
   process that inserts the row is the only one that sends; any other process answering the same
   approval waits for the row to settle and reports that outcome.
2. while sending, **renews its lease** on the row, so others know it is alive. A row left
   ``sending`` with a lapsed lease belongs to a process that died: the next process **takes it
   over** and first finds out what the dead one did (the client's :meth:`find_created` for a
   create, both companies for a merge, the current values for an update) before sending anything.
3. before an update, **reads the current values** of the fields it changes: if one differs from
   the value shown in the confirmation, nothing is written and the step comes back ``stale`` with
   the current values, to be shown again.
4. **settles** the row: ``done`` with the result, ``failed`` with the error, or ``unknown`` when
   HubSpot's answer was lost and its outcome could not be established. An unknown outcome is
   never resent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from agent.audit import AuditScope, audit_scope, scoped
from agent.ledger import StepClaim, WriteLedger
from agent.state import ConfirmationRequest, ExecutionRecord, Ref, Step, StepResult, Target
from tools.hubspot import Connection, HubSpotClient, HubSpotError, NotFound, OutcomeUnknown
from tools.hubspot.errors import Conflict
from tools.hubspot.models import AssociationInput
from tools.hubspot.values import same_value

log = logging.getLogger("agent.sending")

MAX_FOLLOW_SECONDS = 600.0
"""How long a process waits on another one that keeps its lease alive before reporting unknown."""
RECENT_CLAIMS_SECONDS = 86_400.0
"""Records created by our own steps in this window are never taken for a lost attempt's record."""


@dataclass
class Sent:
    """The outcome of one approved step.

    Attributes:
        status: ``done``; ``failed`` (HubSpot refused, nothing changed); ``unknown`` (the answer
            was lost and what happened could not be established); ``stale`` (an update whose
            fields changed since they were shown: nothing was sent).
        result: The record written (done).
        error: What went wrong (failed, unknown).
        current: The fields' current values (stale).
        before: The values read just before an update was sent (its audit "old" values).
    """

    status: Literal["done", "failed", "unknown", "stale"]
    result: StepResult | None = None
    error: HubSpotError | None = None
    current: dict[str, str | None] = field(default_factory=dict)
    before: dict[str, str | None] | None = None


def step_digest(proposal: ConfirmationRequest, index: int) -> str:
    """A digest of exactly what an approval of this step sends (and which version was approved)."""
    step = proposal["steps"][index]
    shape = {
        "version": proposal["version"],
        "op": step["op"],
        "object_type": step["object_type"],
        "target": step["target"]["id"] if step["target"] and "id" in step["target"] else None,
        "properties": step["properties"],
        "associations": [(a["object_type"], a.get("id"), a.get("step")) for a in step["associations"]],
        "merge_from": step["merge_from"]["id"] if step["merge_from"] else None,
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:32]


def _target(step: Step) -> Target:
    target = step["target"]
    if target is None:
        raise ValueError(f"a {step['op']} step without a target")
    return target


class StepSender:
    """Sends the approved steps of one conversation through one connection.

    Args:
        client: The HubSpot client.
        ledger: Where steps are claimed.
        conn: The conversation's connection (every id remembered in the thread is used with it).
        thread: The conversation's ledger key.
        lease_seconds: A claim's lease (renewed every third of it while sending).
        sleep: How to wait (tests move a fake clock).
    """

    def __init__(
        self,
        client: HubSpotClient,
        ledger: WriteLedger,
        conn: Connection,
        thread: str,
        *,
        lease_seconds: float,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.client, self.ledger, self.conn, self.thread = client, ledger, conn, thread
        self.lease = lease_seconds
        self.sleep = sleep
        self.holder = uuid.uuid4().hex

    async def send(
        self,
        key: str,
        proposal: ConfirmationRequest,
        index: int,
        execution: Mapping[str, ExecutionRecord],
    ) -> Sent:
        """Send step ``index`` of ``proposal`` (claimed under ``key``) once, or report its single outcome."""
        step = proposal["steps"][index]
        digest = step_digest(proposal, index)
        won, claim = await self.ledger.claim(
            key,
            thread=self.thread,
            digest=digest,
            holder=self.holder,
            object_type=step["object_type"],
            lease_seconds=self.lease,
        )
        if won:
            return await self._attempt(key, step, proposal, execution, since=None)
        waited = 0.0
        while True:
            if claim.digest != digest:
                return Sent(
                    "failed",
                    error=Conflict(
                        "Another version of this change was already approved and handled elsewhere, so "
                        "this one was not sent. Look at the record in HubSpot before asking again."
                    ),
                )
            if claim.settled:
                return _adopt(claim)
            if claim.lease_until <= self.ledger.now():
                # Its sender died (its lease lapsed): take the step over, and look before sending.
                if await self.ledger.take_over(
                    key, holder=self.holder, expected_holder=claim.holder, lease_seconds=self.lease
                ):
                    return await self._attempt(key, step, proposal, execution, since=claim.started_at)
            elif waited >= MAX_FOLLOW_SECONDS:
                return Sent("unknown", error=OutcomeUnknown("Another process is still sending this change."))
            pause = max(0.05, min(1.0, self.lease / 5))
            await self.sleep(pause)
            waited += pause
            latest = await self.ledger.get(key)
            if latest is None:  # released as stale by its sender: claim it afresh
                return await self.send(key, proposal, index, execution)
            claim = latest

    async def _attempt(
        self,
        key: str,
        step: Step,
        proposal: ConfirmationRequest,
        execution: Mapping[str, ExecutionRecord],
        *,
        since: float | None,
    ) -> Sent:
        """Send (after reconciling, when ``since`` says an earlier attempt may have been sent) and settle."""
        async with self._holding(key):
            try:
                sent = await self._reconcile(step, since) if since is not None else None
                if sent is None:
                    sent = await self._write(step, proposal, execution)
            except OutcomeUnknown as exc:
                sent = Sent("unknown", error=exc)
            except HubSpotError as exc:
                sent = Sent("failed", error=exc)
        if sent.status == "stale":
            await self.ledger.release(key, self.holder)
            return sent
        status: Literal["done", "failed", "unknown"] = sent.status
        error = {"kind": sent.error.kind, "message": sent.error.message} if sent.error else None
        settled = await self.ledger.settle(
            key, self.holder, status, result=dict(sent.result) if sent.result else None, error=error
        )
        if settled is None:
            # Our lease lapsed and another process took the step over: its outcome is the one.
            latest = await self.ledger.get(key)
            if latest is not None and latest.settled:
                return _adopt(latest)
        return sent

    @contextlib.asynccontextmanager
    async def _holding(self, key: str) -> AsyncIterator[None]:
        """Renew the lease while the step is being sent."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(self.lease / 3)
                if not await self.ledger.renew(key, self.holder, self.lease):
                    return

        task = asyncio.create_task(renew())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _reconcile(self, step: Step, since: float) -> Sent | None:
        """What an earlier, lost attempt did (None: nothing; send it)."""
        op = step["op"]
        if op == "create":
            known = await self.ledger.created_ids(step["object_type"], since - RECENT_CLAIMS_SECONDS)
            found = await self.client.find_created(
                self.conn, step["object_type"], step["properties"], since=since, exclude_ids=known
            )
            return Sent("done", {"id": found.id, "reconciled": True}) if found is not None else None
        if op == "merge":
            kept, duplicate = _merge_ids(step)
            try:
                first = await self.client.get_object(self.conn, "companies", kept)
                second = await self.client.get_object(self.conn, "companies", duplicate)
            except NotFound:
                return None
            return Sent("done", {"id": first.id, "reconciled": True}) if first.id == second.id else None
        if op == "update":
            target = _target(step)
            current = await self._current(step)
            if all(same_value(current.get(p), v) for p, v in step["properties"].items()):
                return Sent("done", {"id": target["id"], "reconciled": True}, before=current)
        return None  # an association PUT is idempotent; an update not yet applied is checked in _write

    async def _current(self, step: Step) -> dict[str, str | None]:
        record = await self.client.get_object(
            self.conn, step["object_type"], _target(step)["id"], properties=sorted(step["properties"])
        )
        return {p: record.properties.get(p) for p in step["properties"]}

    async def _write(
        self, step: Step, proposal: ConfirmationRequest, execution: Mapping[str, ExecutionRecord]
    ) -> Sent:
        object_type = step["object_type"]
        op = step["op"]
        if op == "create":
            associations = [
                AssociationInput.default(object_type, ref["object_type"], _ref_id(ref, proposal, execution))
                for ref in step["associations"]
            ]
            known = await self.ledger.created_ids(object_type, self.ledger.now() - RECENT_CLAIMS_SECONDS)
            record = await self.client.create(
                self.conn, object_type, step["properties"], associations, known_ids=known
            )
            return Sent("done", {"id": record.id})
        if op == "update":
            # No lost updates: write only over the values the user saw.
            current = await self._current(step)
            changed = {
                p: current.get(p)
                for p in step["properties"]
                if not same_value(current.get(p), step["old"].get(p))
            }
            if changed:
                return Sent("stale", current=current)
            # The audit's old values are the ones read just now, not the ones shown earlier.
            diff = {p: {"old": current.get(p), "new": v} for p, v in step["properties"].items()}
            with scoped(replace(audit_scope.get() or AuditScope(), diff=diff)):
                record = await self.client.update(
                    self.conn, object_type, _target(step)["id"], step["properties"]
                )
            return Sent("done", {"id": record.id}, before=current)
        if op == "associate":
            ref = step["associations"][0]
            from_id = _ref_id(_target(step), proposal, execution)
            await self.client.associate_default(
                self.conn, object_type, from_id, ref["object_type"], _ref_id(ref, proposal, execution)
            )
            return Sent("done", {"id": from_id})
        record = await self.client.merge_companies(self.conn, *_merge_ids(step))
        return Sent("done", {"id": record.id})


def _adopt(claim: StepClaim) -> Sent:
    """The outcome another process recorded for the step."""
    if claim.status == "done" and claim.result is not None:
        result: StepResult = {"id": str(claim.result["id"])}
        return Sent("done", result)
    message = (claim.error or {}).get("message") or "The change could not be made."
    if claim.status == "unknown":
        return Sent("unknown", error=OutcomeUnknown(message))
    kind = (claim.error or {}).get("kind")
    return Sent("failed", error=_error_of_kind(kind, message))


def _error_of_kind(kind: str | None, message: str) -> HubSpotError:
    """The typed error another process recorded, by its kind (a plain one for an unknown kind)."""
    cls = _ERRORS_BY_KIND.get(kind or "", HubSpotError)
    return cls(message)


def _subclasses(cls: type[HubSpotError]) -> list[type[HubSpotError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


_ERRORS_BY_KIND: dict[str, type[HubSpotError]] = {}
for _cls in reversed(_subclasses(HubSpotError)):  # the most general class of a kind wins
    _ERRORS_BY_KIND[_cls.kind] = _cls


def step_key(proposal: ConfirmationRequest, index: int) -> str:
    """The idempotency key of an approved step (the same for every version of the proposal)."""
    return f"{proposal['id']}:{index}"


def _ref_id(ref: Ref, proposal: ConfirmationRequest, execution: Mapping[str, ExecutionRecord]) -> str:
    if "step" in ref:
        return str(execution[step_key(proposal, ref["step"])]["result"]["id"])
    return str(ref["id"])


def _merge_ids(step: Step) -> tuple[str, str]:
    """(the company kept, the duplicate merged into it)."""
    merge_from = step["merge_from"]
    if merge_from is None:
        raise ValueError("a merge step without the duplicate")
    return _target(step)["id"], merge_from["id"]
