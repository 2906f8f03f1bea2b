"""The tool registry: specs, scopes from the scope table, read-only LangChain tools, and the generated docs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel, ValidationError

from tools.hubspot import scopes as scope_table
from tools.hubspot.client import Connection, HubSpotClient, ensure_allowed
from tools.hubspot.config import HubSpotClientConfig
from tools.hubspot.errors import NotAllowed
from tools.hubspot.types import ACTIVITY_TYPES
from tools.registry import (
    TOOLS,
    TOOLS_BY_NAME,
    LogActivityInput,
    NoInput,
    ToolSpec,
    langchain_tool,
    langchain_tools,
    render_tools,
    tools_json,
    tools_markdown,
)
from tools.settings import load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "tools.md"
CONN = Connection(tenant_id="t1", user_id="u1")
BASE = "https://proxy.useparagon.com/projects/sandbox/sdk/proxy/hubspot"


def test_docs_tools_md_is_the_generated_table() -> None:
    assert DOCS.read_text(encoding="utf-8") == tools_markdown(), (
        "docs/tools.md is stale: regenerate it with `alysio-agent tools --format markdown > docs/tools.md`"
    )


def test_markdown_format_prints_exactly_the_docs_page(capsys: pytest.CaptureFixture[str]) -> None:
    render_tools("markdown")
    assert capsys.readouterr().out == DOCS.read_text(encoding="utf-8")


def test_json_format_has_exactly_the_contract_keys(capsys: pytest.CaptureFixture[str]) -> None:
    render_tools("json")
    items = json.loads(capsys.readouterr().out)
    assert len(items) == len(TOOLS)
    for item in items:
        assert list(item) == [
            "name",
            "description",
            "access",
            "object_types",
            "scopes",
            "endpoints",
            "examples",
        ]
        assert item["access"] in ("read", "write")
        assert item["examples"] and item["endpoints"]


def test_table_format_lists_every_tool(capsys: pytest.CaptureFixture[str]) -> None:
    render_tools("table")
    out = capsys.readouterr().out
    assert "HubSpot tools" in out and "list_owners" in out


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render_tools("yaml")


def test_the_expected_tool_set_and_no_delete() -> None:
    assert set(TOOLS_BY_NAME) == {
        "search_records",
        "get_record",
        "create_record",
        "update_record",
        "log_activity",
        "associate_records",
        "merge_companies",
        "list_owners",
        "list_users",
        "list_roles",
        "list_teams",
        "get_account_details",
        "list_pipelines",
        "get_pipeline_stages",
        "list_properties",
        "list_associations",
    }
    for spec in TOOLS:
        assert "delete" not in spec.name and "archive" not in spec.name
        assert not any(e.startswith("DELETE") for e in spec.endpoints)


def _fill(template: str) -> str:
    values = {
        "objectType": "deals",
        "fromObjectType": "deals",
        "toObjectType": "companies",
        "pipelineId": "default",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "123"), template)


@pytest.mark.parametrize("spec", TOOLS, ids=lambda s: s.name)
def test_every_declared_endpoint_is_on_the_client_allow_list(spec: ToolSpec) -> None:
    for endpoint in spec.endpoints:
        method, template = endpoint.split(" ", 1)
        ensure_allowed(method, _fill(template))
        if method in ("POST", "PATCH", "PUT") and not template.endswith("/search"):
            assert spec.access == "write", endpoint


def test_scopes_come_from_the_scope_table() -> None:
    assert TOOLS_BY_NAME["log_activity"].scopes == ["crm.objects.contacts.write"]
    assert TOOLS_BY_NAME["merge_companies"].scopes == ["crm.objects.companies.write"]
    assert TOOLS_BY_NAME["list_teams"].scopes == ["settings.users.teams.read"]
    assert TOOLS_BY_NAME["get_account_details"].scopes == ["oauth"]
    assert tools_json()[0]["scopes"] == scope_table.scopes_for(
        "search", TOOLS_BY_NAME["search_records"].object_types
    )


def test_activity_types_share_one_requirement_so_the_docs_column_is_exact() -> None:
    for (operation, object_type), req in scope_table.SCOPE_TABLE.items():
        if object_type in ACTIVITY_TYPES:
            assert req == scope_table.SCOPE_TABLE[(operation, "tasks")]


# --------------------------------------------------------------------------- LangChain tools


@pytest.fixture(scope="module")
def pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
async def bound(pem: str) -> tuple[HubSpotClient, respx.MockRouter]:
    router = respx.MockRouter(base_url=BASE, assert_all_called=False)

    async def no_sleep(_: float) -> None:
        return None

    client = HubSpotClient(
        HubSpotClientConfig.from_settings(load_settings(hubspot_mode="sandbox"), signing_key_pem=pem),
        transport=httpx.MockTransport(router.async_handler),
        sleep=no_sleep,
    )
    return client, router


WRITES = [spec for spec in TOOLS if spec.access == "write"]


async def test_langchain_tools_are_the_registry_reads(bound: tuple[HubSpotClient, respx.MockRouter]) -> None:
    client, _ = bound
    tools = langchain_tools(client, CONN)
    assert [t.name for t in tools] == [s.name for s in TOOLS if s.access == "read"]
    by_name = {t.name: t for t in tools}
    assert by_name["search_records"].metadata == {
        "access": "read",
        "scopes": TOOLS_BY_NAME["search_records"].scopes,
    }
    assert "filter_groups" in by_name["search_records"].args
    await client.aclose()


def test_the_registry_still_specifies_every_write() -> None:
    assert {s.name for s in WRITES} == {
        "create_record",
        "update_record",
        "log_activity",
        "associate_records",
        "merge_companies",
    }
    for spec in WRITES:
        assert spec.endpoints and spec.scopes and spec.input_model is not NoInput


@pytest.mark.parametrize("spec", WRITES, ids=lambda s: s.name)
async def test_no_executable_write_tool_can_be_obtained(
    spec: ToolSpec, bound: tuple[HubSpotClient, respx.MockRouter]
) -> None:
    client, router = bound
    assert spec.run is None  # nothing in a write spec sends
    with pytest.raises(NotAllowed, match="approved"):
        langchain_tool(spec, client, CONN)
    assert spec.name not in {t.name for t in langchain_tools(client, CONN)}
    assert router.calls.call_count == 0
    await client.aclose()


def test_a_write_spec_cannot_be_given_a_function_that_sends() -> None:
    async def send(client: HubSpotClient, conn: Connection, args: BaseModel) -> None:
        raise AssertionError("never called")

    spec = TOOLS_BY_NAME["create_record"]
    fields: dict[str, Any] = {
        "name": "sneaky_create",
        "description": spec.description,
        "object_types": spec.object_types,
        "operations": spec.operations,
        "examples": spec.examples,
        "input_model": spec.input_model,
    }
    with pytest.raises(ValueError, match="approval"):
        ToolSpec(access="write", run=send, **fields)
    with pytest.raises(ValueError, match="needs its function"):
        ToolSpec(access="read", **fields)


async def test_search_tool_returns_results_and_the_next_page(
    bound: tuple[HubSpotClient, respx.MockRouter],
) -> None:
    client, router = bound
    route = router.post("/crm/v3/objects/companies/search").respond(
        200,
        json={
            "total": 11,
            "results": [{"id": "1", "properties": {"name": "Acme"}}],
            "paging": {"next": {"after": "10"}},
        },
    )
    tool = {t.name: t for t in langchain_tools(client, CONN)}["search_records"]
    result = await tool.ainvoke(
        {
            "object_type": "companies",
            "filter_groups": [{"filters": [{"propertyName": "name", "operator": "EQ", "value": "Acme"}]}],
            "sort": {"propertyName": "createdate", "direction": "ASCENDING"},
        }
    )
    assert result["total"] == 11 and result["next_after"] == "10"
    assert result["results"][0]["properties"] == {"name": "Acme"}
    sent = json.loads(route.calls.last.request.content)
    assert sent["sorts"] == [{"propertyName": "createdate", "direction": "ASCENDING"}]
    await client.aclose()


# --------------------------------------------------------------------------- write specs' arguments


def test_log_activity_needs_a_record_to_attach_to() -> None:
    with pytest.raises(ValidationError):
        LogActivityInput.model_validate(
            {
                "activity_type": "notes",
                "properties": {"hs_note_body": "x", "hs_timestamp": "2026-03-02T10:00:00Z"},
                "associate_with": [],
            }
        )


def test_log_activity_requires_a_timestamp() -> None:
    ref = [{"object_type": "contacts", "record_id": "1"}]
    with pytest.raises(ValidationError, match="hs_timestamp"):
        LogActivityInput.model_validate(
            {"activity_type": "notes", "properties": {"hs_note_body": "x"}, "associate_with": ref}
        )
    meeting = {"hs_meeting_title": "Demo", "hs_meeting_start_time": "2026-03-03T15:00:00Z"}
    LogActivityInput.model_validate(
        {"activity_type": "meetings", "properties": meeting, "associate_with": ref}
    )
