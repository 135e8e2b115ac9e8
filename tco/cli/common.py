"""What every sub-command shares: exit codes and writing output."""
from __future__ import annotations

import sys
from pathlib import Path

from tco.io.atomic import atomic_write_bytes

#: 0 success; 1 catalog problems or a failed operation; 2 invalid input; 3 a file could not be read or written
EXIT_OK, EXIT_FAIL, EXIT_INVALID, EXIT_IO = 0, 1, 2, 3


def write_output(text: str | bytes, out: str | None) -> None:
    """Print ``text`` or write it atomically to ``out``."""
    if out:
        atomic_write_bytes(Path(out), text.encode("utf-8") if isinstance(text, str) else text)
    else:
        if isinstance(text, bytes):
            sys.stdout.buffer.write(text)
        else:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
