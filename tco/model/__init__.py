"""tco.model: see docs/architecture.md."""
