"""Cache entries are written whole or not at all, and a failed write leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from verify.cache_files import write_replacing, write_whole


def test_text_and_bytes_are_written_whole_and_replace_the_old_entry(tmp_path: Path) -> None:
    entry = tmp_path / "ab" / "entry.json"
    assert write_whole(entry, "first")
    assert write_whole(entry, "second")
    assert entry.read_text(encoding="utf-8") == "second"
    assert write_whole(entry, b"\x00\xff")
    assert entry.read_bytes() == b"\x00\xff"
    assert sorted(p.name for p in entry.parent.iterdir()) == ["entry.json"]


def test_a_write_that_fails_after_its_temporary_file_leaves_no_file_behind(tmp_path: Path) -> None:
    entry = tmp_path / "entry.json"
    entry.mkdir()  # the rename over a directory fails once the temporary file is written
    assert write_whole(entry, "text") is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entry.json"]


def test_an_unwritable_place_is_false_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert write_whole(blocker / "entry.json", "text") is False


def test_a_write_stopped_by_another_error_leaves_nothing_and_raises_it(tmp_path: Path) -> None:
    entry = tmp_path / "entry.json"
    with pytest.raises(UnicodeEncodeError):
        write_whole(entry, "\ud800")  # a lone surrogate: text UTF-8 cannot hold
    assert list(tmp_path.iterdir()) == []


def test_a_replacing_write_removes_the_older_entries_only_once_stored(tmp_path: Path) -> None:
    (tmp_path / "run-old.json").write_text("old", encoding="utf-8")
    (tmp_path / "other-old.json").write_text("kept", encoding="utf-8")
    assert write_replacing(tmp_path / "run-new.json", "new", "run-*.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other-old.json", "run-new.json"]
    (tmp_path / "run-new.json").rename(tmp_path / "run-older.json")
    (tmp_path / "run-new.json").mkdir()  # the new entry cannot be stored: the older one stays
    assert write_replacing(tmp_path / "run-new.json", "newer", "run-*.json") is False
    assert (tmp_path / "run-older.json").read_text(encoding="utf-8") == "new"
