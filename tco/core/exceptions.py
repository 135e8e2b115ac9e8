"""Domain errors.

Every error the user can cause names where it happened: the file, the entry and the field, in the
form ``file: entry: field: message`` (catalogs) or ``file: path.to.field: message`` (scenarios).
The CLI prints these lines and exits with a documented code; the app shows them with ``st.error``.
"""
from __future__ import annotations


class TcoError(Exception):
    """Base class for every error this package raises on purpose."""


class Problem:
    """One located problem: where (file, entry, field) and what was expected."""

    __slots__ = ("file", "entry", "field", "message")

    def __init__(self, file: str, entry: str | None, field: str | None, message: str):
        self.file, self.entry, self.field, self.message = file, entry, field, message

    def __str__(self) -> str:
        parts = [self.file]
        if self.entry:
            parts.append(self.entry)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(str(p) for p in parts)

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Problem({str(self)!r})"


class ProblemsError(TcoError):
    """An error carrying one or more located problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CatalogError(ProblemsError):
    """A catalog file in data/ is malformed or inconsistent."""


class ScenarioError(ProblemsError):
    """A scenario file or app input is invalid."""


class ImportFormatError(ProblemsError):
    """A benchmark or price file does not have the expected format."""


class CapacityError(TcoError):
    """No capacity can be derived for a self-host option (no profile, or SLO cannot be met)."""


class EvaluationError(TcoError):
    """A valid scenario refers to something the catalogs cannot resolve."""
