"""Ending a command's process once its output is out, without the interpreter's teardown."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn


def exit_now(code: int) -> NoReturn:
    """Flushes stdout and stderr, then ends the process with `code`, skipping the interpreter's teardown.

    The teardown frees every object the evaluation left, one by one: 0.35-0.4 s of a 1.8 s offline check of the
    prod stack, for nothing. Nothing is left to clean up when a command returns: each cache entry was written
    whole before (`cache_files.write_whole`), every temporary folder was removed by its `with` block, and no
    thread or child process outlives the command. (mypy ends the same way: `mypy.util.hard_exit`.)
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader that went away (`| head`), a closed stream
            stream.flush()
    os._exit(code)
