"""Storage: the course calendar, SQLModel tables, queries and migrations (no Slack, no Zoom)."""
