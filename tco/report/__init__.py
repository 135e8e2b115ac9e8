"""tco.report: see docs/architecture.md."""
