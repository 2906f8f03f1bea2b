"""Record writes: create contacts, companies and deals; update fields; associate; merge.

Each builder reads the slots of one message and returns the plan, or a plan reporting what it
could not understand. Nothing here guesses a record: a write needs a named (or pointed-to) record.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final

from agent.plan import Mention, Plan, Value, Write
from agent.planners.offline.lexicon import COMPANY_SUFFIXES, OBJECT_NOUNS, words
from agent.planners.offline.slots import (
    content_words,
    find_city,
    find_job_title,
    find_lifecycle,
    find_owner,
    find_stage,
)
from agent.planners.offline.text import Utterance
from tools.hubspot.types import ObjectType

_CREATE_SKIP: Final[frozenset[str]] = words(
    """
    a an the new another contact contacts person lead prospect company companies account deal deals
    called named titled for record entry :
    """
)
_DATE_CUES: Final[tuple[str, ...]] = (
    "close date",
    "closing",
    "closes",
    "close",
    "push",
    "pull in",
    "slip",
    "move the close",
    "expected",
)


def _unsupported(u: Utterance) -> Plan:
    return Plan(intent="unsupported", not_understood=content_words(u) or [u.raw])


def _quoted(u: Utterance) -> str | None:
    m = re.search(r"[\"']([^\"']{2,80})[\"']", u.text)
    return m.group(1).strip() if m else None


_CALLED: Final[str] = (
    # A record's own name: after "called"/"named", up to the next field ("for", an amount, a stage).
    r"\b(?:called|named|titled|name it)\s+(?P<name>[^,;]+?)"
    r"(?=\s*(?:[,;]|\.\s|\.?$)|\s+(?:for|with|at|worth|closing|closes|close|by|due|owned|assigned|and|amount|"
    r"valued|in\s+(?:stage|the|appointment|qualified|presentation|decision|contract|closed))\b|\s+[$€£]?\d[\d,.]*\s*(?:k|m|mm|mil|million)?\b)"
)


_STAGE_NAMED: Final[str] = (
    r"\b(?:stage|in stage|at stage)\s+(?:to\s+|is\s+|=\s*|:\s*)?([A-Za-z][\w -]*?)(?=\s*(?:$|[,;.]))"
)
_MOVED_TO: Final[str] = (
    r"^(?:.*?\b)?(?:move|moved|moving|put|set)\b.*?\b(?:to|into|in)\s+(?:stage\s+)?([A-Za-z][\w -]*?)\s*[.!]*$"
)
_DASHED: Final[str] = (
    # "new deal for acme - Acme Q2 Upsell, 50k": the name follows the customer after a dash.
    r"\b(?:for|with)\s+(?P<customer>[\w .&'-]+?)\s+[-–:]\s+(?P<name>(?![$€£]?\d)[^,;]+?)"
    r"(?=\s*(?:[,;]|$)|\s+[$€£]\d|\s+\d[\d,.]*\s*(?:k|m|mm|mil|million)\b)"
)


def _company_mention(u: Utterance, after: int, cues: tuple[str, ...]) -> Mention | None:
    """The company named after one of ``cues`` ("at Acme", "from Globex") past token ``after``."""
    for index in range(after, len(u.tokens)):
        if u.tokens[index].low in cues:
            mention, _ = u.mention_at(index + 1, "companies")
            if mention is not None:
                return mention
    return None


def plan_create(u: Utterance, start: int, now: datetime) -> Plan:
    """Create a contact, company or deal ("add Jane Doe jane@acme.com as a contact at Acme")."""
    kind: ObjectType | None = None
    for token in u.tokens[start:]:
        if token.low in OBJECT_NOUNS and OBJECT_NOUNS[token.low] in ("contacts", "companies", "deals"):
            kind = OBJECT_NOUNS[token.low]
            break
    if kind is None:
        kind = "contacts" if u.emails else "companies" if u.domains else None
    if kind is None:
        return _unsupported(u)
    if kind == "contacts":
        return _create_contact(u, start)
    if kind == "companies":
        return _create_company(u, start)
    return _create_deal(u, start, now)


def _first_name_index(u: Utterance, start: int) -> int:
    index = start + 1
    while index < len(u.tokens) and (u.tokens[index].low in _CREATE_SKIP or u.tokens[index].is_boundary):
        if u.tokens[index].low == "for" and u.tokens[index - 1].low in ("deal", "deals"):
            # "a deal for Acme": the name after "for" is the company, not the record's own name.
            return index
        index += 1
    return index


def _create_contact(u: Utterance, start: int) -> Plan:
    index = _first_name_index(u, start)
    name, after = u.phrase_at(index)
    values: list[Value] = []
    if name:
        first, _, last = name.partition(" ")
        values.append(Value(property="firstname", value=first))
        if last:
            values.append(Value(property="lastname", value=last))
    if u.emails:
        values.append(Value(property="email", value=u.emails[0][2]))
    if u.phones:
        values.append(
            Value(property="mobilephone" if u.has("mobile", "cell") else "phone", value=u.phones[0][2])
        )
    title = find_job_title(u)
    if title:
        values.append(Value(property="jobtitle", value=title))
    lifecycle = find_lifecycle(u)
    if lifecycle:
        values.append(Value(property="lifecyclestage", value=lifecycle))
    owner = find_owner(u)
    if owner:
        values.append(Value(property="hubspot_owner_id", value=owner[0], kind="owner"))
    if not values:
        return _unsupported(u)
    company = _company_mention(u, max(after, start), ("at", "from", "@"))
    if company is None and u.domains:
        company = Mention(object_type="companies", text=u.domains[0][2])
    write = Write(
        op="create", object_type="contacts", values=values, associate_with=[company] if company else []
    )
    return Plan(intent="create", writes=[write])


def _create_company(u: Utterance, start: int) -> Plan:
    index = _first_name_index(u, start)
    name = _quoted(u) or u.phrase_at(index)[0]
    values: list[Value] = []
    if name:
        values.append(Value(property="name", value=name))
    if u.domains:
        values.append(Value(property="domain", value=u.domains[0][2]))
    if u.phones:
        values.append(Value(property="phone", value=u.phones[0][2]))
    city = find_city(u)
    if city:
        values.append(Value(property="city", value=city))
    owner = find_owner(u)
    if owner:
        values.append(Value(property="hubspot_owner_id", value=owner[0], kind="owner"))
    if not values:
        return _unsupported(u)
    return Plan(intent="create", writes=[Write(op="create", object_type="companies", values=values)])


def _create_deal(u: Utterance, start: int, now: datetime) -> Plan:
    given = u.given
    values: list[Value] = []
    company: Mention | None = None
    contact: Mention | None = None
    for index, token in enumerate(u.tokens):
        if index <= start:
            continue
        if token.low in ("for", "at", "with") and u.tokens[index - 1].low not in ("closing", "due"):
            # "a deal with Jane Doe" is with a person; "with Initech", a lone word, with a company.
            two_words = index + 2 < len(u.tokens) and u.tokens[index + 2].text[:1].isupper()
            default: ObjectType = "contacts" if token.low == "with" and two_words else "companies"
            mention, _ = u.mention_at(index + 1, default)
            if mention is None or (mention.object_type == "deals"):
                continue
            if mention.object_type == "contacts" and contact is None:
                contact = mention
            elif mention.object_type == "companies" and company is None:
                company = mention
    name = _quoted(u)
    name_span = (0, 0)
    called = u.find(_CALLED) or u.find(_DASHED)
    if name is None and called is not None:
        name, name_span = called.group("name").strip(), called.span("name")
        if "customer" in called.groupdict() and called.group("customer"):
            customer = re.sub(
                r"\s+in\s+(?:the\s+)?[\w &-]+\s+pipeline$", "", called.group("customer").strip()
            )
            company = Mention(object_type=u.type_of_name(customer, "companies"), text=customer)
    if name is None and company is None and contact is None:
        # "new deal dunder mifflin, 20k": the name after "deal" is the customer's.
        index = _first_name_index(u, start)
        if index < len(u.tokens) and u.tokens[index].low not in ("for", "with", "at"):
            customer = u.phrase_at(index)[0]
            if customer:
                company = Mention(object_type=u.type_of_name(customer, "companies"), text=customer)
    if name is None and company is None and contact is None:
        index = _first_name_index(u, start)
        if index < len(u.tokens) and u.tokens[index].low not in ("for", "with", "at"):
            name = u.phrase_at(index)[0] or None
    if name is None:
        anchor = company or contact
        if anchor is not None and anchor.text:
            name = f"{anchor.text} deal"
    if name:
        values.append(Value(property="dealname", value=name))
    # Words inside the deal's name ("Q3 Renewal") are part of the name, not its close date or amount.
    amounts = [hit for hit in u.amounts if not name_span[0] <= hit.start < name_span[1]]
    if amounts:
        values.append(Value(property="amount", value=amounts[0].value))
    days = [hit.day for hit in u.temporal.days if not name_span[0] <= hit.start < name_span[1]]
    periods = [hit.last for hit in u.temporal.periods if not name_span[0] <= hit.start < name_span[1]]
    close = next(iter(days or periods), None)
    if close is not None:
        values.append(Value(property="closedate", value=close.isoformat()))
    stage = find_stage(u, given.stage_labels if given else [], allow_single=False)
    named_stage = u.find(_STAGE_NAMED)
    if stage is not None:
        values.append(Value(property="dealstage", value=stage.label, kind="stage"))
    elif named_stage is not None:
        # A portal's own stage ("stage up for renewal"): resolved against its pipelines.
        values.append(Value(property="dealstage", value=named_stage.group(1).strip(), kind="stage"))
    pipeline = u.find(r"\b(?:in|on|to)\s+(?:the\s+)?([\w &-]+?)\s+pipeline\b")
    if pipeline and pipeline.group(1).lower() not in ("sales", "default", "deal", "deals"):
        values.append(Value(property="pipeline", value=pipeline.group(1), kind="pipeline"))
    owner = find_owner(u)
    if owner:
        values.append(Value(property="hubspot_owner_id", value=owner[0], kind="owner"))
    if not values:
        return _unsupported(u)
    links = [mention for mention in (company, contact) if mention is not None]
    return Plan(
        intent="create", writes=[Write(op="create", object_type="deals", values=values, associate_with=links)]
    )


_FIELD_WORDS: Final[frozenset[str]] = words(
    """
    the a an close closing date closedate amount value stage deal owner phone number mobile email
    title job name domain lifecycle of on for status priority due me myself we i just finally won lost
    closed
    """
)


def _target(u: Utterance, start: int, kind: ObjectType, subject_first: bool) -> Mention | None:
    """The record an update changes: the sentence's subject, or the words after the verb."""
    index = start if subject_first else start + 1
    noun: ObjectType | None = None
    while index < len(u.tokens) and (
        u.tokens[index].low in _FIELD_WORDS or u.tokens[index].low in OBJECT_NOUNS
    ):
        if u.tokens[index].low in OBJECT_NOUNS and u.tokens[index].low not in (
            "deal",
            "contact",
            "company",
            "account",
        ):
            break
        after_noun = u.tokens[index + 2].low if index + 2 < len(u.tokens) else ""
        if (
            u.tokens[index].low == "the"
            and index + 1 < len(u.tokens)
            and u.tokens[index + 1].low in OBJECT_NOUNS
            and after_noun not in _FIELD_WORDS
        ):
            mention, _ = u.mention_at(index, kind)
            if mention is not None and mention.refers_back:
                return mention
        if u.tokens[index].low in OBJECT_NOUNS:
            noun = OBJECT_NOUNS[u.tokens[index].low]
        index += 1
    mention, _ = u.mention_at(index, kind)
    if mention is None:
        # "change deal owner to me": a type and no name is the record the conversation is on.
        return Mention(object_type=noun, refers_back=True) if noun is not None else None
    return mention


def plan_update(u: Utterance, start: int, now: datetime) -> Plan:
    """Update fields of one record ("move Globex to contract sent", "Jane is now a customer")."""
    given = u.given
    values: list[Value] = []
    kind: ObjectType | None = None
    stage = find_stage(u, given.stage_labels if given else [])
    owner = find_owner(u)
    lifecycle = find_lifecycle(u)
    explicit: ObjectType | None = None
    for token in u.tokens:
        if token.low in ("deal", "contact", "company", "account", "task", "deals"):
            explicit = OBJECT_NOUNS[token.low]
            break
    fields_named = u.has(
        "city", "hq", "phone", "email", "title", "owner", "domain", "name", "amount", "close date"
    )
    plain = stage is None and not u.amounts and not u.temporal.spans and not fields_named
    custom = u.find(_MOVED_TO) if plain else None
    if stage is not None and explicit in (None, "deals"):
        values.append(Value(property="dealstage", value=stage.label, kind="stage"))
        kind = "deals"
    elif custom is not None and explicit in (None, "deals") and not find_owner(u) and not find_lifecycle(u):
        # "move it to renewed": a stage of the portal's own pipelines, in the user's words.
        values.append(Value(property="dealstage", value=custom.group(1).strip(), kind="stage"))
        kind = "deals"
    if u.amounts:
        values.append(Value(property="amount", value=u.amounts[0].value))
        kind = "deals"
    close = u.temporal.single_date()
    if close is not None and (u.has(*_DATE_CUES) or kind == "deals" or explicit == "deals"):
        values.append(Value(property="closedate", value=close.isoformat()))
        kind = "deals"
    if owner is not None:
        values.append(Value(property="hubspot_owner_id", value=owner[0], kind="owner"))
    if lifecycle and kind is None and not u.has("customer deal"):
        values.append(Value(property="lifecyclestage", value=lifecycle))
        kind = "contacts"
    if u.phones and u.has("phone", "number", "mobile", "cell"):
        values.append(
            Value(property="mobilephone" if u.has("mobile", "cell") else "phone", value=u.phones[0][2])
        )
        kind = kind or ("companies" if explicit == "companies" else "contacts")
    if u.emails and u.has("email") and len(u.emails) == 1:
        values.append(Value(property="email", value=u.emails[0][2]))
        kind = kind or "contacts"
    city = find_city(u)
    if city:
        values.append(Value(property="city", value=city))
        kind = kind or "companies"
    if u.domains and u.has("domain", "website"):
        values.append(Value(property="domain", value=u.domains[0][2]))
        kind = kind or "companies"
    title = find_job_title(u) if kind in (None, "contacts") else None
    if title:
        values.append(Value(property="jobtitle", value=title))
        kind = "contacts"
    if u.has("done", "complete", "completed", "finished") and (explicit == "tasks" or u.has("task")):
        values.append(Value(property="hs_task_status", value="COMPLETED"))
        kind = "tasks"
    rename = u.find(
        r"\b(?:rename\s+.*?\s+to|(?:change|update|set)\s+(?:the\s+)?name(?:\s+of\s+.*?)?\s+to|call\s+it)\s+[\"']?([^\"',.;!?]+)"
    )
    if rename:
        kind = kind or explicit or u.recent_type("deals")
        new_name = rename.group(1).strip()
        if kind == "contacts":
            first, _, last = new_name.partition(" ")
            values.append(Value(property="firstname", value=first))
            if last:
                values.append(Value(property="lastname", value=last))
        else:
            values.append(Value(property="dealname" if kind == "deals" else "name", value=new_name))
    if not values:
        return _unsupported(u)
    kind = explicit if explicit in ("contacts", "companies", "deals", "tasks") and kind is None else kind
    implied = kind
    kind = kind or u.recent_type("deals")
    subject_first = u.tokens[start].low not in _VERBS if start < len(u.tokens) else False
    target = _target(u, start, kind, subject_first)
    if target is not None and owner is not None and target.text == owner[0]:
        # "make kim@x.co the owner of the wayne enterprises acct": the record follows "of".
        of = u.find(r"\bowner\s+(?:of|for|on)\s+")
        target = u.mention_at(u.index_after(of.end()), kind)[0] if of else None
    if target is not None and target.refers_back and not target.text and start < len(u.tokens):
        # "globex renewal is signed!! move it to renewed": "it" is the name the message opened with.
        # Politeness before the request ("ok move it to ...") is no name: look from the request's start.
        opener, _ = u.mention_at(start, kind)
        if opener is not None and opener.text and u.tokens[start].low not in _VERBS:
            target = opener
    if target is None and implied is not None:
        # "update the amount to 90k too": the record the conversation is on.
        target = Mention(object_type=implied, refers_back=True)
    if target is not None and implied is None and target.object_type == "companies" and explicit is None:
        # Only the owner changes and the name is a company's ("assign Globex Corp to Marcus").
        kind = "companies"
    if target is None:
        return _unsupported(u)
    person = _PERSON.fullmatch(target.text) and target.text.split()[-1].lower() not in COMPANY_SUFFIXES
    if implied is None and explicit is None and not target.refers_back and person:
        # "assign Jane Doe to Marcus": a first and last name is a contact's.
        kind = "contacts"
    if target.object_type != kind and not target.refers_back:
        # The fields decide the type: "move Acme Corp to contract sent" moves Acme Corp's deal.
        target = Mention(object_type=kind, text=target.text, qualifier=target.qualifier)
    if target.refers_back and implied is not None and not target.text:
        # "bump it to 75k": an amount belongs to a deal, whatever the last record touched was.
        target = target.model_copy(update={"object_type": implied})
    return Plan(
        intent="update",
        writes=[Write(op="update", object_type=target.object_type, target=target, values=values)],
    )


_PERSON: Final[re.Pattern[str]] = re.compile(r"[A-Z][a-z'-]+ [A-Z][a-z'-]+")
_VERBS: Final[frozenset[str]] = words(
    """
    update change set move mark bump push pull assign reassign give hand rename edit modify raise
    increase lower reduce drop switch put transfer close reopen make
    """
)


def plan_associate(u: Utterance, start: int) -> Plan:
    """Link two existing records ("link Dana to Initech", "associate the Acme deal with Jane")."""
    verb = u.tokens[start].low if start < len(u.tokens) else ""
    first_index = (
        start + 1 if verb in ("link", "associate", "connect", "attach", "tie", "relate", "add") else start
    )
    first, after = u.mention_at(first_index, "contacts")
    if first is None:
        # "the q3 expansion deal isn't linked to ...": a name the slots cut into ("q3").
        named = u.find(r"^(?:the\s+)?((?:[\w'.&-]+\s+){0,3}?[\w'.&-]+)\s+(deal|company|account|contact)\b")
        if named is None:
            return _unsupported(u)
        first = Mention(object_type=OBJECT_NOUNS[named.group(2).lower()], text=named.group(1))
        after = u.index_after(named.end())
    for index in range(after, len(u.tokens)):
        prep = u.tokens[index].low
        if prep in ("to", "with", "and", "on"):
            default: ObjectType = (
                "companies" if prep == "to" or first.object_type == "contacts" else "contacts"
            )
            second, _ = u.mention_at(index + 1, default)
            if second is not None:
                write = Write(
                    op="associate", object_type=first.object_type, target=first, associate_with=[second]
                )
                return Plan(intent="associate", writes=[write])
    return _unsupported(u)


def plan_merge(u: Utterance, start: int) -> Plan:
    """Merge two companies; the one merged INTO is the primary (kept) record."""
    tokens = u.tokens
    if any(OBJECT_NOUNS.get(token.low) in ("contacts", "deals") for token in tokens):
        # The integration merges companies only (HubSpot's company merge endpoint).
        return Plan(intent="unsupported", refusal="outside_integration")
    verb_index = next(
        (
            i
            for i, t in enumerate(tokens)
            if t.low in ("merge", "dedupe", "deduplicate", "combine", "consolidate")
        ),
        None,
    )
    first_index = verb_index + 1 if verb_index is not None else start
    first, after = u.mention_at(first_index, "companies")
    if first is None:
        return _unsupported(u)
    for index in range(after, len(tokens)):
        word = tokens[index].low
        if word in ("into", "with", "and", "of", "to"):
            second, _ = u.mention_at(index + 1, "companies")
            if second is None:
                continue
            first = first.model_copy(update={"object_type": "companies"})
            second = second.model_copy(update={"object_type": "companies"})
            # "merge A into B" and "A is a duplicate of B" keep B; "merge A and B" keeps A.
            keep_second = word in ("into", "to") or (word == "of" and u.has("duplicate"))
            primary, duplicate = (second, first) if keep_second else (first, second)
            keep = u.find(r"\bkeep\s+(?:the\s+)?")
            if primary.refers_back and keep is not None:
                # "keep globex.com and merge globex-corp.com into it": "it" is the one kept.
                kept, _ = u.mention_at(u.index_after(keep.end()), "companies")
                primary = kept.model_copy(update={"object_type": "companies"}) if kept else primary
            write = Write(op="merge", object_type="companies", target=primary, merge_from=duplicate)
            return Plan(intent="merge_companies", writes=[write])
    return _unsupported(u)
