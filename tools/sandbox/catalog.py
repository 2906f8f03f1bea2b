"""HubSpot's built-in portal metadata: object types, default properties, pipelines, association types.

Everything here is data taken from HubSpot's API reference (see ``docs/sandbox.md`` for the
sources and for the choices made where HubSpot's documentation is silent). The sandbox builds a
fresh portal from it on every reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal

PropertyType = Literal["string", "number", "date", "datetime", "enumeration", "bool"]

OBJECT_TYPES: Final[tuple[str, ...]] = (
    "contacts",
    "companies",
    "deals",
    "tasks",
    "notes",
    "emails",
    "meetings",
    "calls",
)
ACTIVITY_TYPES: Final[frozenset[str]] = frozenset({"tasks", "notes", "emails", "meetings", "calls"})

OBJECT_TYPE_IDS: Final[dict[str, str]] = {
    "contacts": "0-1",
    "companies": "0-2",
    "deals": "0-3",
    "tasks": "0-27",
    "notes": "0-46",
    "meetings": "0-47",
    "calls": "0-48",
    "emails": "0-49",
}
SINGULAR: Final[dict[str, str]] = {
    "contacts": "contact",
    "companies": "company",
    "deals": "deal",
    "tasks": "task",
    "notes": "note",
    "emails": "email",
    "meetings": "meeting",
    "calls": "call",
}

_ALIASES: dict[str, str] = {}
for _plural in OBJECT_TYPES:
    _ALIASES[_plural] = _plural
    _ALIASES[SINGULAR[_plural]] = _plural
    _ALIASES[OBJECT_TYPE_IDS[_plural]] = _plural


def resolve_object_type(name: str) -> str | None:
    """Map a path segment (plural name, singular name or ``0-N`` type id) to the plural type name."""
    return _ALIASES.get(name.lower())


# Properties returned when a read asks for none (HUBSPOT_FACTS §4.4 / §5.1).
DEFAULT_READ_PROPERTIES: Final[dict[str, tuple[str, ...]]] = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "deals": (
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    **{t: ("hs_createdate", "hs_lastmodifieddate", "hs_object_id") for t in ACTIVITY_TYPES},
}
# Always added to an explicit ``properties`` selection.
SYSTEM_READ_PROPERTIES: Final[dict[str, tuple[str, ...]]] = {
    "contacts": ("createdate", "hs_object_id", "lastmodifieddate"),
    **{t: ("createdate", "hs_lastmodifieddate", "hs_object_id") for t in ("companies", "deals")},
    **{t: ("hs_createdate", "hs_lastmodifieddate", "hs_object_id") for t in ACTIVITY_TYPES},
}
# Default searchable text properties used by a search ``query`` (DOC-SEARCH).
SEARCHABLE_PROPERTIES: Final[dict[str, tuple[str, ...]]] = {
    "contacts": (
        "firstname",
        "lastname",
        "email",
        "phone",
        "hs_additional_emails",
        "fax",
        "mobilephone",
        "company",
        "hs_marketable_until_renewal",
    ),
    "companies": ("website", "phone", "name", "domain"),
    "deals": ("dealname", "pipeline", "dealstage", "description", "dealtype"),
    "calls": ("hs_call_title", "hs_body_preview"),
    "emails": ("hs_email_subject",),
    "meetings": ("hs_meeting_title", "hs_meeting_body"),
    "notes": ("hs_note_body",),
    "tasks": ("hs_task_body", "hs_task_subject"),
}


@dataclass(frozen=True)
class PropertyDef:
    """One property definition as ``GET /crm/v3/properties/{type}`` describes it."""

    name: str
    label: str
    type: PropertyType
    field_type: str
    group: str
    options: tuple[tuple[str, str], ...] = ()  # (label, value)
    read_only: bool = False
    hubspot_defined: bool = True
    description: str = ""
    external_options: bool = False
    unique: bool = False
    calculated: bool = False


def _opts(*values: str, labels: tuple[str, ...] | None = None) -> tuple[tuple[str, str], ...]:
    if labels is None:
        labels = tuple(v.replace("_", " ").title() for v in values)
    return tuple(zip(labels, values, strict=True))


LIFECYCLE_STAGES = _opts(
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
    labels=(
        "Subscriber",
        "Lead",
        "Marketing Qualified Lead",
        "Sales Qualified Lead",
        "Opportunity",
        "Customer",
        "Evangelist",
        "Other",
    ),
)
LEAD_STATUSES = _opts(
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)
# HubSpot's default company industry options (the internal values; labels derived).
INDUSTRIES = _opts(
    "ACCOUNTING",
    "AIRLINES_AVIATION",
    "ALTERNATIVE_DISPUTE_RESOLUTION",
    "ALTERNATIVE_MEDICINE",
    "ANIMATION",
    "APPAREL_FASHION",
    "ARCHITECTURE_PLANNING",
    "ARTS_AND_CRAFTS",
    "AUTOMOTIVE",
    "AVIATION_AEROSPACE",
    "BANKING",
    "BIOTECHNOLOGY",
    "BROADCAST_MEDIA",
    "BUILDING_MATERIALS",
    "BUSINESS_SUPPLIES_AND_EQUIPMENT",
    "CAPITAL_MARKETS",
    "CHEMICALS",
    "CIVIC_SOCIAL_ORGANIZATION",
    "CIVIL_ENGINEERING",
    "COMMERCIAL_REAL_ESTATE",
    "COMPUTER_NETWORK_SECURITY",
    "COMPUTER_GAMES",
    "COMPUTER_HARDWARE",
    "COMPUTER_NETWORKING",
    "COMPUTER_SOFTWARE",
    "INTERNET",
    "CONSTRUCTION",
    "CONSUMER_ELECTRONICS",
    "CONSUMER_GOODS",
    "CONSUMER_SERVICES",
    "COSMETICS",
    "DAIRY",
    "DEFENSE_SPACE",
    "DESIGN",
    "EDUCATION_MANAGEMENT",
    "E_LEARNING",
    "ELECTRICAL_ELECTRONIC_MANUFACTURING",
    "ENTERTAINMENT",
    "ENVIRONMENTAL_SERVICES",
    "EVENTS_SERVICES",
    "EXECUTIVE_OFFICE",
    "FACILITIES_SERVICES",
    "FARMING",
    "FINANCIAL_SERVICES",
    "FINE_ART",
    "FISHERY",
    "FOOD_BEVERAGES",
    "FOOD_PRODUCTION",
    "FUND_RAISING",
    "FURNITURE",
    "GAMBLING_CASINOS",
    "GLASS_CERAMICS_CONCRETE",
    "GOVERNMENT_ADMINISTRATION",
    "GOVERNMENT_RELATIONS",
    "GRAPHIC_DESIGN",
    "HEALTH_WELLNESS_AND_FITNESS",
    "HIGHER_EDUCATION",
    "HOSPITAL_HEALTH_CARE",
    "HOSPITALITY",
    "HUMAN_RESOURCES",
    "IMPORT_AND_EXPORT",
    "INDIVIDUAL_FAMILY_SERVICES",
    "INDUSTRIAL_AUTOMATION",
    "INFORMATION_SERVICES",
    "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "INSURANCE",
    "INTERNATIONAL_AFFAIRS",
    "INTERNATIONAL_TRADE_AND_DEVELOPMENT",
    "INVESTMENT_BANKING",
    "INVESTMENT_MANAGEMENT",
    "JUDICIARY",
    "LAW_ENFORCEMENT",
    "LAW_PRACTICE",
    "LEGAL_SERVICES",
    "LEGISLATIVE_OFFICE",
    "LEISURE_TRAVEL_TOURISM",
    "LIBRARIES",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "LUXURY_GOODS_JEWELRY",
    "MACHINERY",
    "MANAGEMENT_CONSULTING",
    "MARITIME",
    "MARKET_RESEARCH",
    "MARKETING_AND_ADVERTISING",
    "MECHANICAL_OR_INDUSTRIAL_ENGINEERING",
    "MEDIA_PRODUCTION",
    "MEDICAL_DEVICES",
    "MEDICAL_PRACTICE",
    "MENTAL_HEALTH_CARE",
    "MILITARY",
    "MINING_METALS",
    "MOTION_PICTURES_AND_FILM",
    "MUSEUMS_AND_INSTITUTIONS",
    "MUSIC",
    "NANOTECHNOLOGY",
    "NEWSPAPERS",
    "NON_PROFIT_ORGANIZATION_MANAGEMENT",
    "OIL_ENERGY",
    "ONLINE_MEDIA",
    "OUTSOURCING_OFFSHORING",
    "PACKAGE_FREIGHT_DELIVERY",
    "PACKAGING_AND_CONTAINERS",
    "PAPER_FOREST_PRODUCTS",
    "PERFORMING_ARTS",
    "PHARMACEUTICALS",
    "PHILANTHROPY",
    "PHOTOGRAPHY",
    "PLASTICS",
    "POLITICAL_ORGANIZATION",
    "PRIMARY_SECONDARY_EDUCATION",
    "PRINTING",
    "PROFESSIONAL_TRAINING_COACHING",
    "PROGRAM_DEVELOPMENT",
    "PUBLIC_POLICY",
    "PUBLIC_RELATIONS_AND_COMMUNICATIONS",
    "PUBLIC_SAFETY",
    "PUBLISHING",
    "RAILROAD_MANUFACTURE",
    "RANCHING",
    "REAL_ESTATE",
    "RECREATIONAL_FACILITIES_AND_SERVICES",
    "RELIGIOUS_INSTITUTIONS",
    "RENEWABLES_ENVIRONMENT",
    "RESEARCH",
    "RESTAURANTS",
    "RETAIL",
    "SECURITY_AND_INVESTIGATIONS",
    "SEMICONDUCTORS",
    "SHIPBUILDING",
    "SPORTING_GOODS",
    "SPORTS",
    "STAFFING_AND_RECRUITING",
    "SUPERMARKETS",
    "TELECOMMUNICATIONS",
    "TEXTILES",
    "THINK_TANKS",
    "TOBACCO",
    "TRANSLATION_AND_LOCALIZATION",
    "TRANSPORTATION_TRUCKING_RAILROAD",
    "UTILITIES",
    "VENTURE_CAPITAL_PRIVATE_EQUITY",
    "VETERINARY",
    "WAREHOUSING",
    "WHOLESALE",
    "WINE_AND_SPIRITS",
    "WIRELESS",
    "WRITING_AND_EDITING",
)


def _p(
    name: str,
    label: str,
    type_: PropertyType = "string",
    field_type: str = "text",
    group: str = "",
    options: tuple[tuple[str, str], ...] = (),
    **kw: Any,
) -> PropertyDef:
    return PropertyDef(name, label, type_, field_type, group, options, **kw)


def _system(group: str, *, contacts: bool = False) -> list[PropertyDef]:
    props = [
        _p("hs_object_id", "Record ID", "number", "number", group, read_only=True),
        _p("hs_createdate", "HubSpot Create Date", "datetime", "date", group, read_only=True),
        _p("hs_lastmodifieddate", "Last Modified Date", "datetime", "date", group, read_only=True),
        _p("hs_object_source", "Record source", "string", "text", group, read_only=True),
        _p("hs_object_source_label", "Record source label", "string", "text", group, read_only=True),
        _p("hs_merged_object_ids", "Merged record IDs", "enumeration", "checkbox", group, read_only=True),
    ]
    if contacts:
        props.append(_p("lastmodifieddate", "Last Modified Date", "datetime", "date", group, read_only=True))
    return props


_OWNER = "hubspot_owner_id"


def _owner(group: str, label: str = "Owner") -> PropertyDef:
    return _p(_OWNER, label, "enumeration", "select", group, external_options=True)


_CONTACT_PROPS: list[PropertyDef] = [
    _p("email", "Email", group="contactinformation"),
    _p("firstname", "First Name", group="contactinformation"),
    _p("lastname", "Last Name", group="contactinformation"),
    _p("phone", "Phone Number", "string", "phonenumber", "contactinformation"),
    _p("mobilephone", "Mobile Phone Number", "string", "phonenumber", "contactinformation"),
    _p("fax", "Fax Number", group="contactinformation"),
    _p("company", "Company Name", group="contactinformation"),
    _p("jobtitle", "Job Title", group="contactinformation"),
    _p("website", "Website URL", group="contactinformation"),
    _p("address", "Street Address", group="contactinformation"),
    _p("city", "City", group="contactinformation"),
    _p("state", "State/Region", group="contactinformation"),
    _p("zip", "Postal Code", group="contactinformation"),
    _p("country", "Country/Region", group="contactinformation"),
    _p("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation", LIFECYCLE_STAGES),
    _p("hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties", LEAD_STATUSES),
    _owner("sales_properties", "Contact owner"),
    _p("associatedcompanyid", "Primary Associated Company ID", "number", "number", "contactinformation"),
    _p(
        "hs_additional_emails",
        "Additional email addresses",
        "enumeration",
        "checkbox",
        "contactinformation",
        read_only=True,
    ),
    _p(
        "hs_marketable_until_renewal",
        "Marketing contact until next update",
        "enumeration",
        "select",
        "contactinformation",
        _opts("true", "false", labels=("Set to marketing contact", "Set to non-marketing contact")),
        read_only=True,
    ),
    _p("hs_email_domain", "Email Domain", group="emailinformation", read_only=True),
    _p("notes_last_updated", "Last Activity Date", "datetime", "date", "contactinformation", read_only=True),
    _p("num_associated_deals", "Associated Deals", "number", "number", "deal_information", read_only=True),
    _p("createdate", "Create Date", "datetime", "date", "contactinformation", read_only=True),
    *_system("contactinformation", contacts=True),
]
_COMPANY_PROPS: list[PropertyDef] = [
    _p("name", "Company name", group="companyinformation"),
    _p("domain", "Company Domain Name", group="companyinformation"),
    _p("website", "Website URL", group="companyinformation"),
    _p("phone", "Phone Number", "string", "phonenumber", "companyinformation"),
    _p("address", "Street Address", group="companyinformation"),
    _p("city", "City", group="companyinformation"),
    _p("state", "State/Region", group="companyinformation"),
    _p("zip", "Postal Code", group="companyinformation"),
    _p("country", "Country/Region", group="companyinformation"),
    _p("industry", "Industry", "enumeration", "select", "companyinformation", INDUSTRIES),
    _p("description", "Description", "string", "textarea", "companyinformation"),
    _p("annualrevenue", "Annual Revenue", "number", "number", "companyinformation"),
    _p("numberofemployees", "Number of Employees", "number", "number", "companyinformation"),
    _p(
        "type",
        "Type",
        "enumeration",
        "select",
        "companyinformation",
        _opts("PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER"),
    ),
    _p("lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation", LIFECYCLE_STAGES),
    _p("hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties", LEAD_STATUSES),
    _owner("companyinformation", "Company owner"),
    _p(
        "num_associated_contacts",
        "Number of Associated Contacts",
        "number",
        "number",
        "companyinformation",
        read_only=True,
    ),
    _p(
        "num_associated_deals",
        "Number of Associated Deals",
        "number",
        "number",
        "companyinformation",
        read_only=True,
    ),
    _p("createdate", "Create Date", "datetime", "date", "companyinformation", read_only=True),
    *_system("companyinformation"),
]
_DEAL_PROPS: list[PropertyDef] = [
    _p("dealname", "Deal Name", group="dealinformation"),
    _p("amount", "Amount", "number", "number", "dealinformation"),
    _p("closedate", "Close Date", "datetime", "date", "dealinformation"),
    # Options of pipeline and dealstage are the portal's pipelines and stages (filled in at read time).
    _p("pipeline", "Pipeline", "enumeration", "select", "dealinformation"),
    _p("dealstage", "Deal Stage", "enumeration", "radio", "dealinformation"),
    _p(
        "dealtype",
        "Deal Type",
        "enumeration",
        "radio",
        "dealinformation",
        _opts("newbusiness", "existingbusiness", labels=("New Business", "Existing Business")),
    ),
    _p("description", "Deal Description", "string", "textarea", "dealinformation"),
    _owner("dealinformation", "Deal owner"),
    _p(
        "hs_all_collaborator_owner_ids",
        "Deal Collaborator",
        "enumeration",
        "checkbox",
        "dealinformation",
        external_options=True,
    ),
    _p(
        "hs_priority",
        "Priority",
        "enumeration",
        "select",
        "dealinformation",
        _opts("low", "medium", "high", labels=("Low", "Medium", "High")),
    ),
    _p("hs_pinned_engagement_id", "Pinned Engagement ID", "number", "number", "dealinformation"),
    _p(
        "hs_deal_stage_probability",
        "Deal probability",
        "number",
        "number",
        "dealinformation",
        read_only=True,
        calculated=True,
    ),
    _p(
        "hs_is_closed",
        "Is Deal Closed?",
        "bool",
        "booleancheckbox",
        "dealinformation",
        read_only=True,
        calculated=True,
    ),
    _p(
        "hs_is_closed_won",
        "Is Closed Won",
        "bool",
        "booleancheckbox",
        "dealinformation",
        read_only=True,
        calculated=True,
    ),
    _p(
        "num_associated_contacts",
        "Number of Associated Contacts",
        "number",
        "number",
        "dealinformation",
        read_only=True,
    ),
    _p("createdate", "Create Date", "datetime", "date", "dealinformation", read_only=True),
    *_system("dealinformation"),
]


def _activity(group: str, own: list[PropertyDef]) -> list[PropertyDef]:
    return [
        _p("hs_timestamp", "Activity date", "datetime", "date", group),
        _owner(group, "Activity assigned to"),
        _p("hs_attachment_ids", "Attached file IDs", "enumeration", "checkbox", group),
        *own,
        *_system(group),
    ]


_NOTE_PROPS = _activity("note", [_p("hs_note_body", "Note body", "string", "html", "note")])
_TASK_PROPS = _activity(
    "task",
    [
        _p("hs_task_subject", "Task Title", group="task"),
        _p("hs_task_body", "Notes", "string", "html", "task"),
        _p(
            "hs_task_status",
            "Task Status",
            "enumeration",
            "select",
            "task",
            _opts("NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"),
        ),
        _p(
            "hs_task_priority",
            "Priority",
            "enumeration",
            "select",
            "task",
            _opts("NONE", "LOW", "MEDIUM", "HIGH"),
        ),
        _p("hs_task_type", "Task Type", "enumeration", "select", "task", _opts("EMAIL", "CALL", "TODO")),
        _p("hs_task_reminders", "Reminder", "enumeration", "checkbox", "task"),
    ],
)
_CALL_PROPS = _activity(
    "call",
    [
        _p("hs_call_title", "Call Title", group="call"),
        _p("hs_call_body", "Call notes", "string", "html", "call"),
        _p("hs_body_preview", "Body preview", "string", "textarea", "call", read_only=True),
        _p(
            "hs_call_direction",
            "Call direction",
            "enumeration",
            "select",
            "call",
            _opts("INBOUND", "OUTBOUND"),
        ),
        _p(
            "hs_call_status",
            "Call status",
            "enumeration",
            "select",
            "call",
            _opts(
                "BUSY",
                "CALLING_CRM_USER",
                "CANCELED",
                "COMPLETED",
                "CONNECTING",
                "FAILED",
                "IN_PROGRESS",
                "NO_ANSWER",
                "QUEUED",
                "RINGING",
            ),
        ),
        _p("hs_call_duration", "Call duration", "number", "number", "call"),
        _p("hs_call_from_number", "From number", group="call"),
        _p("hs_call_to_number", "To number", group="call"),
        _p("hs_call_recording_url", "Recording URL", group="call"),
        _p("hs_call_disposition", "Call outcome", group="call"),
        _p("hs_call_source", "Call source", group="call"),
        _p("hs_activity_type", "Call and meeting type", "enumeration", "select", "call"),
    ],
)
_MEETING_PROPS = _activity(
    "meeting",
    [
        _p("hs_meeting_title", "Meeting name", group="meeting"),
        _p("hs_meeting_body", "Meeting description", "string", "html", "meeting"),
        _p("hs_internal_meeting_notes", "Internal notes", "string", "html", "meeting"),
        _p("hs_meeting_external_url", "External URL", group="meeting"),
        _p("hs_meeting_location", "Location", group="meeting"),
        _p("hs_meeting_start_time", "Start time", "datetime", "date", "meeting"),
        _p("hs_meeting_end_time", "End time", "datetime", "date", "meeting"),
        _p(
            "hs_meeting_outcome",
            "Meeting outcome",
            "enumeration",
            "select",
            "meeting",
            _opts("SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"),
        ),
        _p("hs_activity_type", "Call and meeting type", "enumeration", "select", "meeting"),
    ],
)
_EMAIL_PROPS = _activity(
    "email",
    [
        _p("hs_email_subject", "Email subject", group="email"),
        _p("hs_email_text", "Email body", "string", "textarea", "email"),
        _p("hs_email_html", "Email HTML", "string", "html", "email"),
        _p("hs_email_headers", "Email headers", "string", "textarea", "email"),
        _p(
            "hs_email_direction",
            "Email direction",
            "enumeration",
            "select",
            "email",
            _opts("EMAIL", "INCOMING_EMAIL", "FORWARDED_EMAIL"),
        ),
        _p(
            "hs_email_status",
            "Email send status",
            "enumeration",
            "select",
            "email",
            _opts("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT"),
        ),
    ],
)

DEFAULT_PROPERTIES: Final[dict[str, tuple[PropertyDef, ...]]] = {
    "contacts": tuple(_CONTACT_PROPS),
    "companies": tuple(_COMPANY_PROPS),
    "deals": tuple(_DEAL_PROPS),
    "notes": tuple(_NOTE_PROPS),
    "tasks": tuple(_TASK_PROPS),
    "calls": tuple(_CALL_PROPS),
    "meetings": tuple(_MEETING_PROPS),
    "emails": tuple(_EMAIL_PROPS),
}

PROPERTY_GROUPS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "contacts": (
        ("contactinformation", "Contact information"),
        ("emailinformation", "Email information"),
        ("sales_properties", "Sales properties"),
        ("deal_information", "Deal information"),
    ),
    "companies": (("companyinformation", "Company information"), ("sales_properties", "Sales properties")),
    "deals": (("dealinformation", "Deal information"),),
    "notes": (("note", "Note"),),
    "tasks": (("task", "Task"),),
    "calls": (("call", "Call"),),
    "meetings": (("meeting", "Meeting"),),
    "emails": (("email", "Email"),),
}


@dataclass(frozen=True)
class StageDef:
    """A pipeline stage of the default deal pipeline."""

    id: str
    label: str
    probability: str
    is_closed: bool


DEFAULT_DEAL_STAGES: Final[tuple[StageDef, ...]] = (
    StageDef("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    StageDef("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    StageDef("presentationscheduled", "Presentation Scheduled", "0.6", False),
    StageDef("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    StageDef("contractsent", "Contract Sent", "0.9", False),
    StageDef("closedwon", "Closed Won", "1.0", True),
    StageDef("closedlost", "Closed Lost", "0.0", True),
)
DEFAULT_DEAL_PIPELINE_ID: Final = "default"
DEFAULT_DEAL_PIPELINE_LABEL: Final = "Sales Pipeline"
PIPELINE_OBJECT_TYPES: Final[frozenset[str]] = frozenset({"deals"})


@dataclass(frozen=True)
class AssociationDef:
    """A HUBSPOT_DEFINED association type, defined from one object type to another."""

    type_id: int
    from_type: str
    to_type: str
    inverse_id: int
    label: str | None = None
    primary: bool = False
    default: bool = True  # the unlabeled type that PUT .../default/... creates


@dataclass
class _AssocTable:
    by_id: dict[int, AssociationDef] = field(default_factory=dict)
    by_pair: dict[tuple[str, str], list[AssociationDef]] = field(default_factory=dict)

    def add(self, a: int, b: int, from_type: str, to_type: str, *, primary: bool = False) -> None:
        """Register type ``a`` (from→to) and its inverse ``b`` (to→from)."""
        for tid, inv, f, t in ((a, b, from_type, to_type), (b, a, to_type, from_type)):
            if tid in self.by_id:
                continue
            d = AssociationDef(
                tid, f, t, inv, label="Primary" if primary else None, primary=primary, default=not primary
            )
            self.by_id[tid] = d
            self.by_pair.setdefault((f, t), []).append(d)


_T = _AssocTable()
# Primary pairs first (HUBSPOT_FACTS §6).
_T.add(1, 2, "contacts", "companies", primary=True)
_T.add(279, 280, "contacts", "companies")
_T.add(5, 6, "deals", "companies", primary=True)
_T.add(341, 342, "deals", "companies")
_T.add(3, 4, "deals", "contacts")
for _tid, _ft in ((449, "contacts"), (450, "companies"), (451, "deals")):
    _d = AssociationDef(_tid, _ft, _ft, _tid)
    _T.by_id[_tid] = _d
    _T.by_pair.setdefault((_ft, _ft), []).append(_d)
_T.by_id[13] = AssociationDef(13, "companies", "companies", 14, label="Child Company", default=False)
_T.by_id[14] = AssociationDef(14, "companies", "companies", 13, label="Parent Company", default=False)
_T.by_pair[("companies", "companies")] += [_T.by_id[13], _T.by_id[14]]
for _src, _ids in (
    (
        "contacts",
        {
            "calls": (193, 194),
            "emails": (197, 198),
            "meetings": (199, 200),
            "notes": (201, 202),
            "tasks": (203, 204),
        },
    ),
    (
        "companies",
        {
            "calls": (181, 182),
            "emails": (185, 186),
            "meetings": (187, 188),
            "notes": (189, 190),
            "tasks": (191, 192),
        },
    ),
    (
        "deals",
        {
            "calls": (205, 206),
            "emails": (209, 210),
            "meetings": (211, 212),
            "notes": (213, 214),
            "tasks": (215, 216),
        },
    ),
):
    for _dst, (_a, _b) in _ids.items():
        _T.add(_a, _b, _src, _dst)
_T.add(399, 400, "calls", "meetings")

ASSOCIATION_TYPES: Final[dict[int, AssociationDef]] = _T.by_id
# A record has at most one primary company: contact→company (1) and deal→company (5).
ONE_PRIMARY: Final[frozenset[int]] = frozenset({1, 5})
ASSOCIATIONS_BY_PAIR: Final[dict[tuple[str, str], list[AssociationDef]]] = _T.by_pair


def default_association(from_type: str, to_type: str) -> AssociationDef | None:
    """The unlabeled association type HubSpot uses by default for a pair, or None if the pair has none."""
    for d in ASSOCIATIONS_BY_PAIR.get((from_type, to_type), []):
        if d.default:
            return d
    return None


def primary_association(from_type: str, to_type: str) -> AssociationDef | None:
    """The "Primary" association type for a pair (contact→company, deal→company), if any."""
    for d in ASSOCIATIONS_BY_PAIR.get((from_type, to_type), []):
        if d.primary:
            return d
    return None


def v3_type_name(d: AssociationDef) -> str:
    """The v3 association ``type`` string (``contact_to_company``, ``contact_to_company_unlabeled``)."""
    base = f"{SINGULAR[d.from_type]}_to_{SINGULAR[d.to_type]}"
    pair = ASSOCIATIONS_BY_PAIR.get((d.from_type, d.to_type), [])
    if any(p.primary for p in pair) and not d.primary:
        return base + "_unlabeled"
    if d.type_id in (13, 14):
        return "parent_to_child_company" if d.type_id == 13 else "child_to_parent_company"
    return base


ACCOUNT_DEFAULTS: Final[dict[str, object]] = {
    "portalId": 24681357,
    "accountType": "STANDARD",
    "timeZone": "US/Eastern",
    "companyCurrency": "USD",
    "additionalCurrencies": [],
    "utcOffset": "-05:00",
    "utcOffsetMilliseconds": -18000000,
    "uiDomain": "app.hubspot.com",
    "dataHostingLocation": "na1",
}
