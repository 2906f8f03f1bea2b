"""Errors carry a machine-readable next step; the command line words it as the command that fixes it."""

from __future__ import annotations

import io
import json

import pytest

from adapters.cli.render import CliSteps, JsonRenderer, PlainRenderer
from agent.events import NEXT_STEP_BY_KIND, ErrorInfo, Event, next_step_of
from agent.identity import DEAUTHORIZED_MESSAGE, NOT_CONNECTED_MESSAGE, ConnectionDeauthorized
from tools.hubspot import MissingScopes, RateLimited, ReconnectRequired, UpstreamUnavailable

SETTINGS_PAGE = "Settings → Integrations"


def event_of(exc: ReconnectRequired | MissingScopes | RateLimited | UpstreamUnavailable) -> Event:
    info = ErrorInfo.from_error(exc)
    return Event(type="error", text=f"{info.message} {info.action}", error=info)


@pytest.mark.parametrize(
    ("kind", "step"),
    [
        ("reconnect", "reconnect"),
        ("missing_scope", "reauthorize"),
        ("rate_limited", "wait"),
        ("upstream", "retry"),
        ("unknown", "check_hubspot"),
        ("validation", "change_request"),
        ("not_allowed", "do_in_hubspot"),
        ("expired", "ask_again"),
        ("not_requester", None),
        ("something new", "contact_support"),
    ],
)
def test_each_error_kind_has_a_next_step(kind: str, step: str | None) -> None:
    assert next_step_of(kind) == step
    assert ErrorInfo(kind=kind, message="m").next_step == step


def test_a_given_next_step_is_kept_and_survives_json() -> None:
    info = ErrorInfo(kind="upstream", message="m", next_step="contact_support")
    assert ErrorInfo.model_validate(info.model_dump(mode="json")) == info
    assert set(NEXT_STEP_BY_KIND) >= {"reconnect", "missing_scope", "rate_limited", "upstream", "expired"}


def test_the_services_own_actions_stay_for_the_chat_ui() -> None:
    # The Alysio UI's wording is left as the HubSpot layer gives it; only channels reword it.
    assert SETTINGS_PAGE in (ErrorInfo.from_error(ReconnectRequired("gone")).action or "")
    scopes = ErrorInfo.from_error(MissingScopes("no", required=["crm.objects.deals.write"]))
    assert (scopes.kind, scopes.next_step, scopes.scopes) == (
        "missing_scope",
        "reauthorize",
        ["crm.objects.deals.write"],
    )


@pytest.mark.parametrize(
    ("message", "mode", "expected"),
    [
        (
            DEAUTHORIZED_MESSAGE,
            "paragon",
            "Once HubSpot is connected again, run `alysio-agent connection reconnected <id>` "
            "(`alysio-agent connection list` shows the id).",
        ),
        (
            NOT_CONNECTED_MESSAGE,
            "paragon",
            "Connect HubSpot for this user through Paragon, then try again "
            "(`alysio-agent connection list` shows the workspace's connection).",
        ),
        (
            "Authentication credentials not found.",
            "direct",
            "Set ALYSIO_HUBSPOT_ACCESS_TOKEN to a valid private-app token, then check it with `alysio-agent sync`.",
        ),
        (
            "Authentication credentials not found.",
            "paragon",
            "Reconnect HubSpot through Paragon, then check the connection with `alysio-agent sync`.",
        ),
        (
            "Authentication credentials not found.",
            None,
            "Check the connection with `alysio-agent connection list`; "
            "`alysio-agent connection reconnected <id>` makes one marked uninstalled active again.",
        ),
    ],
)
def test_reconnect_names_the_command(message: str, mode: str | None, expected: str) -> None:
    info = ErrorInfo.from_error(ReconnectRequired(message))
    assert CliSteps(mode).action(info) == expected


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        (
            "paragon",
            "Reconnect HubSpot through Paragon approving crm.objects.deals.write and add them to "
            "ALYSIO_HUBSPOT_SCOPES, then start the chat again.",
        ),
        (
            "direct",
            "Add crm.objects.deals.write to the private app's scopes in HubSpot and to "
            "ALYSIO_HUBSPOT_SCOPES, then start the chat again.",
        ),
        ("sandbox", "Add crm.objects.deals.write to ALYSIO_HUBSPOT_SCOPES, then start the chat again."),
    ],
)
def test_reauthorize_names_the_scopes_and_where_to_grant_them(mode: str, expected: str) -> None:
    info = ErrorInfo.from_error(MissingScopes("missing", required=["crm.objects.deals.write"]))
    assert CliSteps(mode).action(info) == expected


def test_other_steps_keep_the_plain_language_action() -> None:
    busy = ErrorInfo.from_error(RateLimited("slow down", retry_after=7))
    assert CliSteps("paragon").action(busy) == busy.action == "HubSpot is busy; try again in about 7 seconds."
    text = "HubSpot answered 502. HubSpot is not answering right now; try again in a few minutes."
    down = ErrorInfo.from_error(UpstreamUnavailable("HubSpot answered 502."))
    assert CliSteps("paragon").say(text, down) == text


def test_the_renderers_replace_the_settings_page_with_the_command() -> None:
    event = event_of(ConnectionDeauthorized("conn_1"))
    assert SETTINGS_PAGE in event.text
    plain, lines = io.StringIO(), io.StringIO()

    PlainRenderer(plain, CliSteps("paragon")).events([event])
    JsonRenderer(lines, CliSteps("paragon")).events([event])

    said = f"{DEAUTHORIZED_MESSAGE} Once HubSpot is connected again, run `alysio-agent connection reconnected <id>`"
    assert plain.getvalue().startswith(f"error (reconnect): {said}")
    line = json.loads(lines.getvalue())
    assert list(line) == ["type", "text", "writes", "pending", "error"]
    assert line["text"].startswith(said) and SETTINGS_PAGE not in line["text"]
    assert line["error"]["next_step"] == "reconnect"
    assert line["error"]["action"].startswith("Once HubSpot is connected again")
    assert line["error"]["message"] == DEAUTHORIZED_MESSAGE


def test_a_prefix_before_the_message_is_kept() -> None:
    event = event_of(MissingScopes("That needs more access.", required=["crm.objects.owners.read"]))
    noted = event.model_copy(update={"text": f"I dropped the pending change. {event.text}"})
    out = io.StringIO()

    PlainRenderer(out, CliSteps("sandbox")).events([noted])

    assert out.getvalue() == (
        "error (missing_scope): I dropped the pending change. That needs more access. "
        "Add crm.objects.owners.read to ALYSIO_HUBSPOT_SCOPES, then start the chat again.\n"
    )
