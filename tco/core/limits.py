"""Size and time limits on everything a user can hand the app or the CLI (docs/hardening.md).

One place for the numbers, so the server setting (``.streamlit/config.toml`` ``server.maxUploadSize``,
which a test keeps equal to :data:`MAX_UPLOAD_MB`), the views and the parsers agree.

The browser enforces ``maxUploadSize`` before a byte reaches Python; :func:`check_upload_size` checks
again in code, because a client can skip the browser and because AppTest and the CLI never see
the server setting.
"""
from __future__ import annotations

from tco.core.exceptions import Problem, ProblemsError

MAX_UPLOAD_MB = 25  # [MiB] largest file accepted by an upload widget (= server.maxUploadSize)
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024  # [B] Streamlit counts upload megabytes as 2**20 B


class UploadTooLarge(ProblemsError):
    """An uploaded file is over :data:`MAX_UPLOAD_BYTES`."""


def check_upload_size(name: str, data: bytes | str, max_bytes: int = MAX_UPLOAD_BYTES) -> None:
    """Raise :class:`UploadTooLarge` (a located ``ProblemsError``) when ``data`` is over ``max_bytes`` [B].

    Call it first thing on ``upload.getvalue()``, before any parsing::

        try:
            check_upload_size(upload.name, data)
        except ProblemsError as exc:
            common.show_problems(exc.problems)
    """
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        raise UploadTooLarge([Problem(str(name), None, None,
                                      f"file is {size:,} bytes; the upload limit is {max_bytes:,} bytes "
                                      f"({max_bytes / 2**20:g} MB)")])


__all__ = ["MAX_UPLOAD_MB", "MAX_UPLOAD_BYTES", "UploadTooLarge", "check_upload_size"]
