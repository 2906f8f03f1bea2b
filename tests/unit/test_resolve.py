"""Ranking search results, picking among candidates, and stage and pipeline lookups."""

from __future__ import annotations

import pytest

from agent import resolve as r
from agent.state import Choice
from tools.hubspot.models import CrmObject, Pipeline, PipelineStage


def contact(i: str, first: str, last: str, email: str, company: str = "") -> CrmObject:
    return CrmObject(
        id=i, properties={"firstname": first, "lastname": last, "email": email, "company": company}
    )


def company(i: str, name: str, domain: str) -> CrmObject:
    return CrmObject(id=i, properties={"name": name, "domain": domain})


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("jane@acme.com", "email"),
        ("acme.com", "domain"),
        ("https://www.acme.com/", "domain"),
        ("Acme Corp", "name"),
    ],
)
def test_classify_tells_emails_domains_and_names_apart(text: str, kind: str) -> None:
    assert r.classify(text) == kind


def test_exact_name_wins_over_a_similar_one() -> None:
    ranked = r.rank(
        "companies",
        "Globex",
        [company("2", "Globex Corporation", "globex.com"), company("1", "Globex", "globex.com")],
    )
    record, good = r.pick(ranked)
    assert record is not None and record.id == "1" and good == []


def test_two_equally_good_names_are_both_offered() -> None:
    janes = [
        contact("1", "Jane", "Doe", "jane.doe@acme.com"),
        contact("2", "Jane", "Doe", "jane@northwind.com"),
    ]
    record, good = r.pick(r.rank("contacts", "Jane Doe", janes))
    assert record is None and {g.record.id for g in good} == {"1", "2"}


def test_a_qualifier_breaks_the_tie() -> None:
    janes = [
        contact("1", "Jane", "Doe", "jane.doe@acme.com", "Acme Corp"),
        contact("2", "Jane", "Doe", "jane@northwind.com", "Northwind Traders"),
    ]
    record, _ = r.pick(r.rank("contacts", "Jane Doe", janes, qualifier="Northwind"))
    assert record is not None and record.id == "2"


@pytest.mark.parametrize("qualifier", ["at vandelay", "from Vandelay", "the one at vandelay"])
def test_a_qualifier_with_filler_words_matches_the_email_domain(qualifier: str) -> None:
    # No company property: only the email's domain tells the two Danas apart.
    danas = [
        contact("1", "Dana", "Kim", "dana@vandelay.com"),
        contact("2", "Dana", "Lopez", "dana@kramerica.com"),
    ]
    record, _ = r.pick(r.rank("contacts", "dana", danas, qualifier=qualifier))
    assert record is not None and record.id == "1"


def test_a_qualifier_of_only_filler_words_is_kept_as_said() -> None:
    assert r.qualifier_words("at Umbrella") == "umbrella"
    assert r.qualifier_words("the one") == "the one"


def test_a_partial_name_still_finds_the_record_but_nothing_similar_is_not_a_match() -> None:
    found, _ = r.pick(r.rank("companies", "initech inc", [company("1", "Initech", "initech.com")]))
    assert found is not None
    nothing, good = r.pick(r.rank("companies", "Umbrella", [company("1", "Initech", "initech.com")]))
    assert nothing is None and good == []


def test_email_and_domain_searches_filter_exactly() -> None:
    by_email = r.search_request("contacts", "Jane@Acme.com").to_wire()
    assert by_email["filterGroups"] == [
        {"filters": [{"propertyName": "email", "operator": "EQ", "value": "jane@acme.com"}]}
    ]
    by_domain = r.search_request("companies", "www.acme.com").to_wire()
    assert by_domain["filterGroups"][0]["filters"][0] == {
        "propertyName": "domain",
        "operator": "EQ",
        "value": "acme.com",
    }


def test_contact_names_search_first_and_last_name_tokens() -> None:
    groups = r.search_request("contacts", "Jane Doe").to_wire()["filterGroups"]
    filters = [(g["filters"][0]["propertyName"], g["filters"][0]["value"]) for g in groups]
    assert filters == [("firstname", "jane"), ("lastname", "jane"), ("firstname", "doe"), ("lastname", "doe")]


CANDIDATES: list[Choice] = [
    {"id": "11", "object_type": "contacts", "label": "Jane Doe", "details": "jane.doe@acme.com · Acme Corp"},
    {
        "id": "22",
        "object_type": "contacts",
        "label": "Jane Smith",
        "details": "jane@northwind.com · Northwind Traders",
    },
]


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("1", "11"),
        ("2", "22"),
        ("the second one", "22"),
        ("the first", "11"),
        ("last", "22"),
        ("the one at Northwind", "22"),
        ("Jane Smith", "22"),
        ("jane.doe@acme.com", "11"),
        ("22", "22"),
        ("3", None),
        ("the blue one", None),
    ],
)
def test_match_choice(choice: str, expected: str | None) -> None:
    picked = r.match_choice(choice, CANDIDATES)
    assert (picked["id"] if picked else None) == expected


PIPELINES = [
    Pipeline(
        id="default",
        label="Sales Pipeline",
        stages=[
            PipelineStage(id="contractsent", label="Contract Sent"),
            PipelineStage(id="closedwon", label="Closed Won"),
        ],
    ),
    Pipeline(
        id="77",
        label="Renewals",
        stages=[PipelineStage(id="901", label="Contract Sent"), PipelineStage(id="902", label="Renewed")],
    ),
]


def test_stage_labels_prefer_the_default_pipeline_unless_one_is_given() -> None:
    assert r.find_stage(PIPELINES, "contract sent")[1].id == "contractsent"
    assert r.find_stage(PIPELINES, "contract sent", "77")[1].id == "901"
    assert r.find_stage(PIPELINES, "renewed")[0].id == "77"
    assert r.find_stage(PIPELINES, "closed-won")[1].id == "closedwon"
    with pytest.raises(r.StageNotFound):
        r.find_stage(PIPELINES, "negotiation")


def test_pipeline_by_label() -> None:
    assert r.find_pipeline(PIPELINES, "renewals").id == "77"
    assert r.stage_label(PIPELINES, "902") == "Renewed"
