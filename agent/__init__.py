"""The Alysio HubSpot agent: plain-language requests turned into HubSpot reads and approved writes."""
