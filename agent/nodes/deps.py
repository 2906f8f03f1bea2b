"""What the nodes need besides state and runtime context: the client, the planner and caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

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
    """

    client: HubSpotClient
    planner: Planner
    confirmation_ttl: timedelta = timedelta(hours=24)
    owners: OwnerLookup = field(default=None)  # type: ignore[assignment]  # filled in __post_init__
    pipelines: PipelineCache = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.owners is None:
            self.owners = OwnerDirectory(self.client)
        if self.pipelines is None:
            self.pipelines = PipelineCache(self.client)
