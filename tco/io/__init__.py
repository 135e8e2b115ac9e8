"""tco.io: see docs/architecture.md."""
