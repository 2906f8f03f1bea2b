"""What the nodes need besides state and runtime context: the client, the planner and caches."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from agent.audit import AuditLog
from agent.ledger import MemoryWriteLedger, WriteLedger
from agent.owners import OwnerDirectory, OwnerLookup
from agent.planners.base import Planner
from agent.resolve import PipelineCache
from tools.hubspot import HubSpotClient


@dataclass
class Deps:
    """Dependencies shared by every run of one compiled graph.

    Attributes:
        client: The HubSpot client (one per process).
        planner: Turns a message into a ``Plan`` (at most one model call per user turn).
        confirmation_ttl: How long a pending confirmation stays valid.
        owners: "me"/names → owner ids (cached per connection).
        pipelines: Deal pipelines and stages (cached per connection).
        ledger: Claims of approved steps, shared by every process (in memory by default).
        max_writes: The most writes one approval may carry (more is refused as bulk).
        write_lease_seconds: How long a claim on a step stays the sender's without renewal; a
            sender that died is replaced once its lease has run out.
        sleep: How waiting is done (tests pass one that moves a fake clock).
        audit: Where outcomes that are not HTTP exchanges (an unknown outcome) are recorded.
    """

    client: HubSpotClient
    planner: Planner
    confirmation_ttl: timedelta = timedelta(hours=24)
    owners: OwnerLookup = field(default=None)  # type: ignore[assignment]  # filled in __post_init__
    pipelines: PipelineCache = field(default=None)  # type: ignore[assignment]
    ledger: WriteLedger = field(default_factory=MemoryWriteLedger)
    max_writes: int = 5
    write_lease_seconds: float = 15.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    audit: AuditLog | None = None

    def __post_init__(self) -> None:
        if self.owners is None:
            self.owners = OwnerDirectory(self.client)
        if self.pipelines is None:
            self.pipelines = PipelineCache(self.client)
