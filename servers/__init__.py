"""The real OData servers the integration tests and the demo run (see ../shared/SERVERS.md)."""
