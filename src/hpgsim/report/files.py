"""Output files written whole: each goes to a temporary file beside its target, then is renamed over it.

Every command that writes files (``assess``, ``validate``, ``trial``, ``sensitivity``) uses these, so
an error or an interrupted run never leaves a half-written output.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

__all__ = ["write_files", "write_atomic", "save_figure"]


def _mode(path: Path) -> int:
    """The permissions a new file would get (the target's, if it exists): mkstemp makes them 0600."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_files(files: Mapping[Path, str | bytes]) -> None:
    """Write every file or none: all are staged as temporary files first, then moved into place.

    A failure while staging removes the temporary files and leaves the targets untouched.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, content in files.items():
            path = Path(path)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            with os.fdopen(fd, "wb") as fh:
                fh.write(content.encode("utf-8") if isinstance(content, str) else content)
            os.chmod(tmp, _mode(path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` whole."""
    path = Path(path)
    write_files({path: data})
    return path


def save_figure(fig: Any, path: str | Path, *, dpi: int = 110) -> Path:
    """Save a matplotlib figure as PNG at ``path`` whole."""
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    return write_atomic(path, buf.getvalue())
