"""CRM search (`POST /crm/v3/objects/{type}/search`) through the SDK's SearchApi.

Sources: HUBSPOT_FACTS §4 (DOC-SEARCH): the 13 operators, OR of AND groups, case rules,
`query`, one sort, properties selection with the always-added system properties, limit (max
200) and offset-style `after` paging with `total`, the 10,000 cap, and the 5/6/18 limits.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.objects import ApiException, Filter, FilterGroup, PublicObjectSearchRequest

from .conftest import Portal, assert_hubspot_error

DEALS = {
    "small": {
        "dealname": "Small deal",
        "amount": "900",
        "closedate": "2026-01-10T00:00:00.000Z",
        "dealstage": "appointmentscheduled",
        "dealtype": "newbusiness",
    },
    "medium": {
        "dealname": "Medium deal",
        "amount": "5000",
        "closedate": "2026-02-10T00:00:00.000Z",
        "dealstage": "contractsent",
        "dealtype": "existingbusiness",
    },
    "large": {
        "dealname": "Large expansion",
        "amount": "30000",
        "closedate": "2026-03-10T00:00:00.000Z",
        "dealstage": "closedwon",
    },
}
# Epoch milliseconds (the docs' filter examples use epoch-ms strings).
FEB_1_2026 = "1769904000000"
MAR_1_2026 = "1772323200000"


@pytest.fixture
def deals(portal: Portal) -> dict[str, str]:
    """Three deals whose amounts sort differently as numbers ("900" > "30000" as strings)."""
    return {
        key: portal.create("deals", {"pipeline": "default", **props})["id"] for key, props in DEALS.items()
    }


def _search(portal: Portal, object_type: str, **request: Any) -> Any:
    return portal.sdk().crm.objects.search_api.do_search(object_type, PublicObjectSearchRequest(**request))


def _ids(portal: Portal, object_type: str, *filters: Filter, **request: Any) -> set[str]:
    groups = [FilterGroup(filters=list(filters))] if filters else None
    result = _search(portal, object_type, filter_groups=groups, limit=100, **request)
    return {r.id for r in result.results}


def _filter(name: str, operator: str, **kw: Any) -> Filter:
    return Filter(property_name=name, operator=operator, **kw)


@pytest.mark.parametrize(
    ("operator", "kwargs", "expected"),
    [
        ("EQ", {"value": "5000"}, {"medium"}),
        ("NEQ", {"value": "5000"}, {"small", "large"}),
        ("LT", {"value": "5000"}, {"small"}),
        ("LTE", {"value": "5000"}, {"small", "medium"}),
        ("GT", {"value": "1000"}, {"medium", "large"}),
        ("GTE", {"value": "5000"}, {"medium", "large"}),
        ("BETWEEN", {"value": "1000", "high_value": "10000"}, {"medium"}),
        ("IN", {"values": ["900", "30000"]}, {"small", "large"}),
        ("NOT_IN", {"values": ["900", "30000"]}, {"medium"}),
    ],
)
def test_number_operators_compare_numerically(
    portal: Portal, deals: dict[str, str], operator: str, kwargs: dict[str, Any], expected: set[str]
) -> None:
    assert _ids(portal, "deals", _filter("amount", operator, **kwargs)) == {deals[k] for k in expected}


@pytest.mark.parametrize(
    ("operator", "kwargs", "expected"),
    [
        ("LT", {"value": FEB_1_2026}, {"small"}),
        ("GTE", {"value": FEB_1_2026}, {"medium", "large"}),
        ("BETWEEN", {"value": FEB_1_2026, "high_value": MAR_1_2026}, {"medium"}),
    ],
)
def test_date_operators_compare_epoch_millisecond_values_as_instants(
    portal: Portal, deals: dict[str, str], operator: str, kwargs: dict[str, Any], expected: set[str]
) -> None:
    assert _ids(portal, "deals", _filter("closedate", operator, **kwargs)) == {deals[k] for k in expected}


def test_has_property_and_not_has_property(portal: Portal, deals: dict[str, str]) -> None:
    assert _ids(portal, "deals", _filter("dealtype", "HAS_PROPERTY")) == {deals["small"], deals["medium"]}
    assert _ids(portal, "deals", _filter("dealtype", "NOT_HAS_PROPERTY")) == {deals["large"]}


@pytest.fixture
def people(portal: Portal) -> dict[str, str]:
    rows = {
        "jane_acme": {
            "firstname": "Jane",
            "lastname": "Doe",
            "email": "jane@acme.com",
            "lifecyclestage": "lead",
        },
        "jane_nw": {
            "firstname": "Jane",
            "lastname": "Park",
            "email": "jane.park@northwind.example",
            "lifecyclestage": "customer",
        },
        "john": {
            "firstname": "John",
            "lastname": "Smith",
            "email": "john@initech.example",
            "lifecyclestage": "customer",
            "jobtitle": "Head of IT",
        },
    }
    return {key: portal.create("contacts", props)["id"] for key, props in rows.items()}


def test_string_eq_is_case_insensitive(portal: Portal, people: dict[str, str]) -> None:
    # DOC-SEARCH: values are case-insensitive except enumerations and IN/NOT_IN on strings.
    assert _ids(portal, "contacts", _filter("firstname", "EQ", value="jane")) == {
        people["jane_acme"],
        people["jane_nw"],
    }


def test_enumeration_eq_is_case_sensitive(portal: Portal, people: dict[str, str]) -> None:
    assert _ids(portal, "contacts", _filter("lifecyclestage", "EQ", value="customer")) == {
        people["jane_nw"],
        people["john"],
    }
    assert _ids(portal, "contacts", _filter("lifecyclestage", "EQ", value="CUSTOMER")) == set()


def test_in_on_a_string_property_matches_lowercase_values(portal: Portal, people: dict[str, str]) -> None:
    assert _ids(portal, "contacts", _filter("lastname", "IN", values=["doe", "smith"])) == {
        people["jane_acme"],
        people["john"],
    }
    assert _ids(portal, "contacts", _filter("lastname", "NOT_IN", values=["doe", "smith"])) == {
        people["jane_nw"]
    }


def test_contains_token_matches_a_wildcard_email_domain(portal: Portal, people: dict[str, str]) -> None:
    # DOC-SEARCH example: CONTAINS_TOKEN with "*@hubspot.com".
    assert _ids(portal, "contacts", _filter("email", "CONTAINS_TOKEN", value="*@acme.com")) == {
        people["jane_acme"]
    }
    assert _ids(portal, "contacts", _filter("email", "NOT_CONTAINS_TOKEN", value="*@acme.com")) == {
        people["jane_nw"],
        people["john"],
    }


def test_contains_token_matches_a_whole_word(portal: Portal, people: dict[str, str]) -> None:
    assert _ids(portal, "contacts", _filter("jobtitle", "CONTAINS_TOKEN", value="head")) == {people["john"]}


def test_filters_in_a_group_are_anded_and_groups_are_ored(portal: Portal, people: dict[str, str]) -> None:
    jane_doe = FilterGroup(
        filters=[_filter("firstname", "EQ", value="Jane"), _filter("lastname", "EQ", value="Doe")]
    )
    john = FilterGroup(filters=[_filter("firstname", "EQ", value="John")])

    result = _search(portal, "contacts", filter_groups=[jane_doe, john])

    assert {r.id for r in result.results} == {people["jane_acme"], people["john"]}
    assert result.total == 2


def test_query_searches_default_searchable_properties(portal: Portal, people: dict[str, str]) -> None:
    assert _ids(portal, "contacts", query="Jane") == {people["jane_acme"], people["jane_nw"]}
    assert _ids(portal, "contacts", query="initech") == {people["john"]}


def test_query_on_companies_matches_name_and_domain(portal: Portal) -> None:
    acme = portal.create("companies", {"name": "Acme Corp", "domain": "acme.com"})["id"]
    portal.create("companies", {"name": "Globex", "domain": "globex.com"})

    assert _ids(portal, "companies", query="acme") == {acme}


def test_query_combines_with_filters(portal: Portal, people: dict[str, str]) -> None:
    ids = _ids(portal, "contacts", _filter("lifecyclestage", "EQ", value="customer"), query="Jane")

    assert ids == {people["jane_nw"]}


def test_sort_by_a_number_property_descending(portal: Portal, deals: dict[str, str]) -> None:
    body = {"sorts": [{"propertyName": "amount", "direction": "DESCENDING"}], "properties": ["amount"]}

    response = portal.api("POST", "/crm/v3/objects/deals/search", json=body)

    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json()["results"]] == [deals["large"], deals["medium"], deals["small"]]


def test_sort_given_as_the_sdk_string_form(portal: Portal, deals: dict[str, str]) -> None:
    # The SDK types `sorts` as list[str]; the Node README documents "-prop" for descending.
    ascending = _search(portal, "deals", sorts=["amount"])
    descending = _search(portal, "deals", sorts=["-amount"])

    assert [r.id for r in ascending.results] == [deals["small"], deals["medium"], deals["large"]]
    assert [r.id for r in descending.results] == [deals["large"], deals["medium"], deals["small"]]


def test_default_order_is_creation_time_oldest_first(portal: Portal, deals: dict[str, str]) -> None:
    result = _search(portal, "deals")

    assert [r.id for r in result.results] == [deals["small"], deals["medium"], deals["large"]]


def test_selected_properties_come_with_the_system_properties(portal: Portal, people: dict[str, str]) -> None:
    result = _search(portal, "contacts", properties=["jobtitle"], limit=1)

    assert set(result.results[0].properties) == {"jobtitle", "createdate", "lastmodifieddate", "hs_object_id"}


def test_company_selection_adds_hs_lastmodifieddate(portal: Portal) -> None:
    portal.create("companies", {"name": "Acme Corp", "annualrevenue": "1000000"})

    result = _search(portal, "companies", properties=["annualrevenue", "name"])

    assert set(result.results[0].properties) == {
        "annualrevenue",
        "name",
        "createdate",
        "hs_lastmodifieddate",
        "hs_object_id",
    }


@pytest.mark.parametrize(
    ("object_type", "expected"),
    [
        ("contacts", {"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}),
        ("companies", {"name", "domain", "createdate", "hs_lastmodifieddate", "hs_object_id"}),
        (
            "deals",
            {
                "dealname",
                "amount",
                "closedate",
                "pipeline",
                "dealstage",
                "createdate",
                "hs_lastmodifieddate",
                "hs_object_id",
            },
        ),
        ("notes", {"hs_createdate", "hs_lastmodifieddate", "hs_object_id"}),
    ],
)
def test_default_properties_without_a_selection(portal: Portal, object_type: str, expected: set[str]) -> None:
    minimal = {
        "contacts": {"email": "x@example.com"},
        "companies": {"name": "X"},
        "deals": {"dealname": "X", "dealstage": "appointmentscheduled", "pipeline": "default"},
        "notes": {"hs_note_body": "x", "hs_timestamp": "1764600000000"},
    }[object_type]
    portal.create(object_type, minimal)

    result = _search(portal, object_type)

    assert set(result.results[0].properties) == expected


def test_empty_body_returns_every_record_unfiltered(portal: Portal, people: dict[str, str]) -> None:
    response = portal.api("POST", "/crm/v3/objects/contacts/search", json={})

    assert response.status_code == 200
    assert response.json()["total"] == 3
    assert "associations" not in response.json()["results"][0]


def test_paging_uses_an_offset_after_and_reports_the_total(portal: Portal) -> None:
    for n in range(25):
        portal.create("contacts", {"email": f"p{n:02d}@example.com"})
    seen: list[str] = []
    afters: list[str | None] = []
    after: str | None = None

    while True:
        page = _search(portal, "contacts", limit=10, after=after)
        assert page.total == 25
        seen += [r.id for r in page.results]
        after = page.paging.next.after if page.paging else None
        afters.append(after)
        if after is None:
            break

    assert afters == ["10", "20", None]
    assert len(seen) == len(set(seen)) == 25


def test_default_limit_is_ten(portal: Portal) -> None:
    for n in range(12):
        portal.create("contacts", {"email": f"d{n:02d}@example.com"})

    result = _search(portal, "contacts")

    assert len(result.results) == 10
    assert result.total == 12


def _search_error(portal: Portal, object_type: str, body: dict[str, Any]) -> dict[str, Any]:
    response = portal.api("POST", f"/crm/v3/objects/{object_type}/search", json=body)
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()
    assert_hubspot_error(error, category="VALIDATION_ERROR")
    return error


def test_limit_above_200_is_rejected(portal: Portal) -> None:
    _search_error(portal, "contacts", {"limit": 201})


def test_limit_of_200_is_accepted(portal: Portal) -> None:
    assert portal.api("POST", "/crm/v3/objects/contacts/search", json={"limit": 200}).status_code == 200


def test_paging_past_the_10000_result_cap_is_a_400(portal: Portal) -> None:
    portal.create("contacts", {"email": "a@example.com"})

    _search_error(portal, "contacts", {"after": "10000", "limit": 10})


def _groups(*sizes: int) -> list[dict[str, Any]]:
    return [
        {"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"} for _ in range(size)]}
        for size in sizes
    ]


@pytest.mark.parametrize(
    "sizes",
    [(1, 1, 1, 1, 1), (6,), (6, 6, 6)],
    ids=["5-groups", "6-filters-in-a-group", "18-filters-in-all"],
)
def test_filter_limits_at_the_boundary_are_accepted(portal: Portal, sizes: tuple[int, ...]) -> None:
    response = portal.api("POST", "/crm/v3/objects/contacts/search", json={"filterGroups": _groups(*sizes)})

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "sizes",
    [(1, 1, 1, 1, 1, 1), (7,), (5, 5, 5, 4)],
    ids=["6-groups", "7-filters-in-a-group", "19-filters-in-all"],
)
def test_filter_limits_exceeded_are_a_400_validation_error(portal: Portal, sizes: tuple[int, ...]) -> None:
    _search_error(portal, "contacts", {"filterGroups": _groups(*sizes)})


def test_unknown_operator_is_a_400(portal: Portal) -> None:
    response = portal.api(
        "POST",
        "/crm/v3/objects/contacts/search",
        json={"filterGroups": [{"filters": [{"propertyName": "email", "operator": "LIKE", "value": "x"}]}]},
    )

    assert response.status_code == 400
    assert_hubspot_error(response.json())


def test_association_pseudo_property_filters_by_linked_record(portal: Portal) -> None:
    # DOC-SEARCH: propertyName "associations.{objectType}" EQ "<id>".
    company = portal.create("companies", {"name": "Acme Corp"})["id"]
    linked = portal.create(
        "contacts",
        {"email": "in@acme.com"},
        associations=[
            {
                "to": {"id": company},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
            }
        ],
    )["id"]
    portal.create("contacts", {"email": "out@example.com"})

    assert _ids(portal, "contacts", _filter("associations.company", "EQ", value=company)) == {linked}


def test_search_error_from_the_sdk_carries_the_hubspot_body(portal: Portal) -> None:
    with pytest.raises(ApiException) as caught:
        _search(portal, "contacts", limit=500)

    assert caught.value.status == 400
    assert json.loads(caught.value.body)["category"] == "VALIDATION_ERROR"


def test_string_values_are_case_insensitive_for_contains_token(
    portal: Portal, people: dict[str, str]
) -> None:
    assert _ids(portal, "contacts", _filter("email", "CONTAINS_TOKEN", value="*@ACME.COM")) == {
        people["jane_acme"]
    }


def test_enumeration_in_is_case_sensitive(portal: Portal, people: dict[str, str]) -> None:
    assert _ids(portal, "contacts", _filter("lifecyclestage", "IN", values=["CUSTOMER", "LEAD"])) == set()
    assert _ids(portal, "contacts", _filter("lifecyclestage", "IN", values=["customer", "lead"])) == set(
        people.values()
    )


def test_number_equality_ignores_decimal_formatting(portal: Portal, deals: dict[str, str]) -> None:
    assert _ids(portal, "deals", _filter("amount", "EQ", value="5000.00")) == {deals["medium"]}


def test_hs_object_id_in_finds_records_by_id(portal: Portal, people: dict[str, str]) -> None:
    wanted = {people["jane_acme"], people["john"]}

    assert _ids(portal, "contacts", _filter("hs_object_id", "IN", values=sorted(wanted))) == wanted


def test_a_cleared_value_counts_as_no_value(portal: Portal, people: dict[str, str]) -> None:
    # DOC-PROPS: PATCH with "" clears a value.
    portal.api("PATCH", f"/crm/v3/objects/contacts/{people['john']}", json={"properties": {"jobtitle": ""}})

    assert _ids(portal, "contacts", _filter("jobtitle", "HAS_PROPERTY")) == set()
    assert people["john"] in _ids(portal, "contacts", _filter("jobtitle", "NOT_HAS_PROPERTY"))


def test_query_ignores_properties_that_are_not_searchable_by_default(portal: Portal) -> None:
    # DOC-SEARCH: contacts' default searchable properties do not include jobtitle.
    portal.create("contacts", {"email": "pilot@example.com", "jobtitle": "Astronaut"})
    by_company = portal.create("contacts", {"email": "crew@example.com", "company": "Astronaut Supplies"})[
        "id"
    ]

    assert _ids(portal, "contacts", query="Astronaut") == {by_company}


@pytest.mark.parametrize(
    ("object_type", "properties", "text"),
    [
        (
            "deals",
            {"dealname": "Warehouse sensors", "dealstage": "qualifiedtobuy", "pipeline": "default"},
            "Warehouse",
        ),
        ("tasks", {"hs_task_subject": "Send proposal", "hs_timestamp": "1764600000000"}, "proposal"),
        ("notes", {"hs_note_body": "Budget approved", "hs_timestamp": "1764600000000"}, "Budget"),
        ("calls", {"hs_call_title": "Discovery call", "hs_timestamp": "1764600000000"}, "Discovery"),
        ("meetings", {"hs_meeting_title": "Quarterly review", "hs_timestamp": "1764600000000"}, "Quarterly"),
        ("emails", {"hs_email_subject": "Contract attached", "hs_timestamp": "1764600000000"}, "Contract"),
    ],
)
def test_query_matches_each_types_default_searchable_text(
    portal: Portal, object_type: str, properties: dict[str, str], text: str
) -> None:
    created = portal.create(object_type, properties)["id"]

    assert _ids(portal, object_type, query=text) == {created}
