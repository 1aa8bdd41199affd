"""The entries of the caches under `.cache/`: each one written whole or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from verify import PROJECT_ROOT

# What the check and the tests remember between runs (parsed chart files, rendered outputs, schema results, canary
# keys), all derived from their inputs by digest: deleting it only makes the next run slower.
# HOMELAB_CHECK_CACHE moves it.
CHECK_CACHE = Path(os.environ.get("HOMELAB_CHECK_CACHE") or PROJECT_ROOT / ".cache")


def write_whole(path: Path, data: str | bytes) -> bool:
    """Writes `data` to `path` through a temporary file of this process beside it, so that a concurrent reader
    (another test worker, another check) finds the old entry, the new one or none, never a part of one.

    False when it cannot be written (a read-only checkout, a full disk): the caller does its work again next
    time. A failed write leaves no temporary file behind.
    """
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            temporary.write_bytes(data)
        else:
            temporary.write_text(data, encoding="utf-8")
        temporary.replace(path)
    except BaseException as error:  # an interrupt, or text UTF-8 cannot hold, as well as a failed write
        with contextlib.suppress(OSError):  # where no folder could be made, there is no temporary file either
            temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            return False
        raise
    return True


def write_replacing(path: Path, data: str | bytes, older: str) -> bool:
    """`write_whole`, then the entries beside it that match the glob `older` are removed (made from inputs that
    are gone), but only once the new one is stored."""
    if not write_whole(path, data):
        return False
    for entry in path.parent.glob(older):
        if entry != path:
            with contextlib.suppress(OSError):  # another process removed it, or may not
                entry.unlink(missing_ok=True)
    return True
