"""Files a run writes are whole (atomic) and readable by the user's other tools (normal permissions)."""

import os
import stat

from sprec.io import user_permissions, write_json


def test_written_files_and_saved_folders_get_the_permissions_of_a_plain_open(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_json(tmp_path / "out/results.json", {"a": 1})
        assert stat.S_IMODE(path.stat().st_mode) == 0o644 and path.read_text() == '{\n  "a": 1\n}\n'
        folder = tmp_path / "adapter"
        folder.mkdir(mode=0o700)
        (folder / "weights").write_text("w")
        (folder / "weights").chmod(0o600)
        user_permissions(folder)
        assert stat.S_IMODE(folder.stat().st_mode) == 0o755
        assert stat.S_IMODE((folder / "weights").stat().st_mode) == 0o644
    finally:
        os.umask(old)
    assert not list((tmp_path / "out").glob(".*"))  # no temporary file left beside the result


def test_reading_names_a_folder_given_as_a_file_and_a_file_given_as_a_folder(tmp_path):
    import pytest

    from sprec.errors import DataError
    from sprec.io import read_text

    with pytest.raises(DataError, match="is a folder; a file is expected here"):
        read_text(tmp_path)
    (tmp_path / "id2name.json").write_text("{}")
    with pytest.raises(DataError, match=r"id2name.json: id2name.json is a file, not a folder holding items.txt"):
        read_text(tmp_path / "id2name.json" / "items.txt")
    with pytest.raises(DataError, match="missing.json: file not found"):
        read_text(tmp_path / "missing.json")
