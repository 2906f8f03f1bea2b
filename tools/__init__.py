"""Tool layer: the only way the agent reaches HubSpot (client, scopes, registry, sandbox)."""
