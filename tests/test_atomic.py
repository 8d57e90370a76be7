"""igproof.atomic: whole files or nothing, with the permissions the user's umask asks for."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from igproof.atomic import NEW_FILE_MODE, write_bytes_atomic, write_text_atomic

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


@posix_only
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_new_files_get_the_mode_open_would_give_them(tmp_path, umask):
    previous = os.umask(umask)
    try:
        target = tmp_path / "sub" / "cert.json"
        write_text_atomic(target, "{}\n")
        # Independent route: the mode of a file created by plain open() under the same umask.
        reference = tmp_path / "reference"
        with open(reference, "w") as handle:
            handle.write("{}\n")
    finally:
        os.umask(previous)
    mode = stat.S_IMODE(target.stat().st_mode)
    assert mode == NEW_FILE_MODE & ~umask == stat.S_IMODE(reference.stat().st_mode)


@posix_only
def test_replacing_a_file_also_follows_the_umask(tmp_path):
    target = tmp_path / "plot.png"
    target.write_bytes(b"old")
    target.chmod(0o600)
    previous = os.umask(0o022)
    try:
        write_bytes_atomic(target, b"new")
    finally:
        os.umask(previous)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "cert.json"
    target.write_text("old")

    class Boom:  # not bytes: the write raises after the temporary file exists
        pass

    with pytest.raises(TypeError):
        write_bytes_atomic(target, Boom())  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cert.json"]
