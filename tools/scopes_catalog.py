"""The OAuth scopes the product document lists for the HubSpot integration.

Kept apart from the per-operation scope table (`tools.hubspot.scopes`) because settings,
the sandbox and the docs all need the plain list without importing the client.
"""

from __future__ import annotations

REQUIRED_SCOPES: tuple[str, ...] = (
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.owners.read",
    "crm.objects.users.read",
    "crm.schemas.custom.read",
    "oauth",
    "sales-email-read",
    "settings.users.read",
    "settings.users.teams.read",
)
OPTIONAL_SCOPES: tuple[str, ...] = ("timeline",)
ALL_SCOPES: tuple[str, ...] = REQUIRED_SCOPES + OPTIONAL_SCOPES
