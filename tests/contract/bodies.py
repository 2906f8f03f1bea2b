"""HubSpot-shaped bodies, taken from the examples in HubSpot's API reference and error guide."""

from __future__ import annotations

from typing import Any

CORRELATION_ID = "aeb5f871-7f07-4993-9211-075dc63e7cbf"

ACCOUNT_DETAILS: dict[str, Any] = {
    "portalId": 123456,
    "accountType": "STANDARD",
    "timeZone": "US/Eastern",
    "companyCurrency": "USD",
    "additionalCurrencies": ["EUR"],
    "utcOffset": "-05:00",
    "utcOffsetMilliseconds": -18000000,
    "uiDomain": "app.hubspot.com",
    "dataHostingLocation": "na1",
}


def owner(owner_id: str, email: str, user_id: int) -> dict[str, Any]:
    return {
        "id": owner_id,
        "email": email,
        "type": "PERSON",
        "firstName": "HubSpot",
        "lastName": "Test Owner",
        "userId": user_id,
        "userIdIncludingInactive": user_id,
        "createdAt": "2019-12-25T13:01:35.228Z",
        "updatedAt": "2023-08-22T13:40:26.790Z",
        "archived": False,
        "teams": [{"id": "368389", "name": "Sales Team", "primary": True}],
    }


def user(user_id: str, email: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": email,
        "roleId": "1234",
        "roleIds": ["1234"],
        "primaryTeamId": "368389",
        "secondaryTeamIds": [],
        "superAdmin": False,
        "firstName": "Alex",
        "lastName": "Rivera",
        "sendWelcomeEmail": False,
    }


ROLES: dict[str, Any] = {"results": [{"id": "1234", "name": "a new role", "requiresBillingWrite": False}]}
TEAMS: dict[str, Any] = {
    "results": [{"id": "368389", "name": "Sales Team", "userIds": ["9586504"], "secondaryUserIds": []}]
}


def record(record_id: str, **properties: str | None) -> dict[str, Any]:
    return {
        "id": record_id,
        "properties": {"hs_object_id": record_id, "createdate": "2024-01-17T19:55:04.281Z", **properties},
        "createdAt": "2024-01-17T19:55:04.281Z",
        "updatedAt": "2024-01-17T19:55:04.281Z",
        "archived": False,
    }


def search_page(total: int, records: list[dict[str, Any]], after: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"total": total, "results": records}
    if after is not None:
        body["paging"] = {"next": {"after": after}}
    return body


def v4_association(to_id: int | str, *types: tuple[int, str | None]) -> dict[str, Any]:
    return {
        "toObjectId": to_id,
        "associationTypes": [
            {"category": "HUBSPOT_DEFINED", "typeId": t, "label": label} for t, label in types
        ],
    }


DEFAULT_ASSOCIATION: dict[str, Any] = {
    "status": "COMPLETE",
    "results": [
        {
            "from": {"id": "512"},
            "to": {"id": "9001"},
            "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279},
        }
    ],
    "startedAt": "2024-01-17T19:55:04.281Z",
    "completedAt": "2024-01-17T19:55:04.381Z",
}

STAGES: list[dict[str, Any]] = [
    {
        "id": stage_id,
        "label": label,
        "displayOrder": order,
        "metadata": {"probability": probability, "isClosed": closed},
        "archived": False,
        "createdAt": "1970-01-01T00:00:00Z",
        "updatedAt": "1970-01-01T00:00:00Z",
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }
    for order, (stage_id, label, probability, closed) in enumerate(
        [
            ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
            ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
            ("contractsent", "Contract Sent", "0.9", "false"),
            ("closedwon", "Closed Won", "1.0", "true"),
            ("closedlost", "Closed Lost", "0.0", "true"),
        ]
    )
]

PIPELINES: dict[str, Any] = {
    "results": [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "stages": STAGES,
            "archived": False,
            "createdAt": "1970-01-01T00:00:00Z",
            "updatedAt": "1970-01-01T00:00:00Z",
        }
    ]
}

PROPERTIES: dict[str, Any] = {
    "results": [
        {
            "name": "lifecyclestage",
            "label": "Lifecycle Stage",
            "type": "enumeration",
            "fieldType": "radio",
            "groupName": "contactinformation",
            "description": "The qualification of contacts to sales readiness.",
            "options": [
                {"label": "Subscriber", "value": "subscriber", "hidden": False, "displayOrder": 0},
                {"label": "Lead", "value": "lead", "hidden": False, "displayOrder": 1},
            ],
            "hubspotDefined": True,
            "modificationMetadata": {"archivable": False, "readOnlyDefinition": True, "readOnlyValue": False},
        },
        {
            "name": "hs_object_id",
            "label": "Record ID",
            "type": "number",
            "fieldType": "number",
            "groupName": "contactinformation",
            "description": "The unique ID for this record.",
            "options": [],
            "modificationMetadata": {"archivable": False, "readOnlyDefinition": True, "readOnlyValue": True},
        },
    ]
}


def error(status_category: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": CORRELATION_ID,
        "category": status_category,
        **extra,
    }


MISSING_SCOPES = error(
    "MISSING_SCOPES",
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: "
    "https://developers.hubspot.com/scopes.",
    errors=[
        {
            "message": "One or more of the following scopes are required.",
            "context": {
                "requiredGranularScopes": [
                    "crm.schemas.deals.read",
                    "crm.objects.deals.sensitive.read.v2",
                    "crm.objects.deals.read",
                    "crm.objects.deals.highly_sensitive.read.v2",
                ]
            },
        }
    ],
    links={"scopes": "https://developers.hubspot.com/scopes"},
)
EXPIRED = error(
    "EXPIRED_AUTHENTICATION",
    "The OAuth token used to make this call expired 0 second(s) ago.",
    context={"expire time": ["2026-03-10T23:04:41.164Z"]},
)
NOT_FOUND = error(
    "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.", context={"id": ["abc"]}
)
PROPERTY_DOESNT_EXIST = error(
    "VALIDATION_ERROR",
    'Property values were not valid: [{"isValid":false,"message":"Property \\"colour\\" does not exist",'
    '"error":"PROPERTY_DOESNT_EXIST","name":"colour","localizedErrorMessage":"Property \\"colour\\" does not exist",'
    '"portalId":123456}]',
    errors=[
        {
            "message": 'Property "colour" does not exist',
            "code": "PROPERTY_DOESNT_EXIST",
            "context": {"propertyName": ["colour"]},
        }
    ],
)
CONFLICT = error("CONFLICT", "Contact already exists. Existing ID: 37765128953")
TEN_SECONDLY: dict[str, Any] = {
    "status": "error",
    "message": "You have reached your ten_secondly_rolling limit.",
    "errorType": "RATE_LIMIT",
    "correlationId": CORRELATION_ID,
    "policyName": "TEN_SECONDLY_ROLLING",
    "groupName": "publicapi:app-api-calls-ten-secondly:1234:123456",
}
SERVER_ERROR = error("INTERNAL_ERROR", "internal error")

PARAGON_NOT_ENABLED: dict[str, Any] = {
    "message": "Integration not enabled for user.",
    "code": "11002",
    "status": 400,
    "meta": {},
}

PARAGON_ME: dict[str, Any] = {
    "authenticated": True,
    "userId": "u-alex",
    "integrations": {
        "hubspot": {
            "enabled": True,
            "credentialId": "cred-1",
            "credentialStatus": "VALID",
            "providerId": "123456",
            "providerData": {},
            "configuredWorkflows": {},
            "allCredentials": [{"id": "cred-1", "status": "VALID", "providerId": "123456"}],
        }
    },
    "meta": {},
}
