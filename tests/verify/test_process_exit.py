"""A command ends without the interpreter's teardown, and still with all its output and its exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from verify import PROJECT_ROOT
from verify.process_exit import EXIT_READER_GONE, EXIT_UNWRITTEN

# Streams buffered as a command's are when nothing asks otherwise (as a shell here may, with PYTHONUNBUFFERED).
BUFFERED = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
# Each stream ends with text still in its buffer: stdout's last words, stderr's line without its newline.
WRITER = ("import sys\nfrom verify.process_exit import exit_now\n"
          "sys.stdout.write('x' * 200_000)\nsys.stdout.write('end')\nsys.stderr.write('problem')\nexit_now(3)\n")


def test_everything_written_is_out_and_the_code_is_kept() -> None:
    done = subprocess.run([sys.executable, "-c", WRITER], cwd=PROJECT_ROOT, env=BUFFERED, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 3
    assert done.stdout == "x" * 200_000 + "end"
    assert done.stderr == "problem"


GONE_READER = ("import io, sys\nfrom verify.process_exit import exit_now\n"
               "class Gone(io.StringIO):\n"
               "    def flush(self):\n"
               "        raise BrokenPipeError(32, 'Broken pipe')\n"
               "sys.stdout = Gone()\nprint('lost')\nsys.stderr.write('problem')\nexit_now(int(sys.argv[1]))\n")


@pytest.mark.parametrize(("code", "ended"), [(0, EXIT_READER_GONE), (3, 3)])
def test_a_reader_that_went_away_ends_quietly(code: int, ended: int) -> None:
    """`python -m verify charts status | head -1`: flushing stdout fails with EPIPE once the reader has gone.
    A success ends as SIGPIPE would end it, a failure keeps its code, and stderr's unfinished line is written."""
    done = subprocess.run([sys.executable, "-c", GONE_READER, str(code)], cwd=PROJECT_ROOT, env=BUFFERED,
                          capture_output=True, text=True, check=False)
    assert done.returncode == ended
    assert done.stderr == "problem"  # no traceback, no "Exception ignored ... BrokenPipeError"


def test_a_failed_write_is_said_and_is_not_a_success() -> None:
    """`python -m verify flow > /dev/full`: the output is lost, so the command cannot end with 0."""
    full = ("import sys\nfrom verify.process_exit import exit_now\nprint('the flow')\nexit_now(0)\n")
    with open("/dev/full", "w", encoding="utf-8") as sink:
        done = subprocess.run([sys.executable, "-c", full], cwd=PROJECT_ROOT, env=BUFFERED, stdout=sink,
                              stderr=subprocess.PIPE, text=True, check=False)
    assert done.returncode == EXIT_UNWRITTEN
    assert done.stderr == "error: the output could not be written: No space left on device\n"


def test_a_command_whose_reader_went_away_ends_quietly_as_sigpipe_would_end_it() -> None:
    """`python -m verify check | head -1`: the report's next print raises BrokenPipeError."""
    command = ("import sys\nfrom verify.process_exit import run_and_exit\n"
               "def main():\n    print('first line')\n    raise BrokenPipeError(32, 'Broken pipe')\n"
               "run_and_exit(main)\n")
    done = subprocess.run([sys.executable, "-c", command], cwd=PROJECT_ROOT, env=BUFFERED, capture_output=True,
                          text=True, check=False)
    assert (done.returncode, done.stderr) == (EXIT_READER_GONE, "")
    assert done.stdout == "first line\n"



def test_under_a_profiler_the_command_ends_normally_so_the_profile_is_written(tmp_path: Path) -> None:
    profile = tmp_path / "check.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "verify", "charts", "status"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr  # 1: a chart missing from every cache, as `charts status` says
    assert profile.stat().st_size > 0
