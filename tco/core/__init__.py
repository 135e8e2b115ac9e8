"""tco.core: see docs/architecture.md."""
