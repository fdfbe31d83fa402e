"""Organizations (the tenants) and their API keys."""
