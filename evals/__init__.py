"""The evaluation harness: recorded conversations run against the agent on fresh sandbox portals.

- :mod:`evals.case`: the case format (``EVAL_CASES.md``), strict models and YAML loading.
- :mod:`evals.runner`: one sandbox, service and planner per case; per-turn capture and checks.
- :mod:`evals.checks`: request classes, scope violations, confirmed writes, written fields.
- :mod:`evals.matching`: the final portal against ``final`` (created, updated, merged, associated).
- :mod:`evals.cassettes`: model recordings for ``replay`` and ``record`` per turn (the file form
  and the chat models are :mod:`agent.planners.recorded`).
- :mod:`evals.report`: the totals, the per-case table and the JSON/Markdown report.
- :mod:`evals.command`: ``alysio-agent eval``.
"""
