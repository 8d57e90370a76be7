"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Files are created with the permissions any ordinary ``open(path, "w")`` would give them,
``0o666 & ~umask`` (``tempfile.mkstemp`` alone would leave them 0600, unreadable by the
collaborators a certificate or report is meant for).
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

# Permission bits of a newly created regular file before the umask is applied (as open(2)).
NEW_FILE_MODE = 0o666

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask (read by setting and restoring it; serialised across threads)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    The file gets mode ``0o666 & ~umask``, as if created by ``open(path, "wb")``.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if hasattr(os, "fchmod"):  # POSIX; on Windows mkstemp's mode is already ordinary
                os.fchmod(handle.fileno(), NEW_FILE_MODE & ~current_umask())
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Text twin of :func:`write_bytes_atomic` (UTF-8)."""
    write_bytes_atomic(path, text.encode("utf-8"))
