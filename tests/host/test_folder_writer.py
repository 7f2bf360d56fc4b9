"""FolderWriter: files written into a folder someone else could have filled (capture, export)
land in the folder as regular files, never through a link, never into a FIFO or device."""

from __future__ import annotations

import os
import stat

import pytest

from nvwizard.errors import EXIT_USAGE
from nvwizard.host.folder_writer import FolderWriter, UnsafeTarget


def test_a_new_file_and_its_folders_are_written(tmp_path):
    writer = FolderWriter(tmp_path / "out")
    writer.write_text("roles/x/main.yml", "a: 1\n")
    written = tmp_path / "out" / "roles" / "x" / "main.yml"
    assert written.read_text() == "a: 1\n"
    assert stat.S_IMODE(written.stat().st_mode) & 0o644 == stat.S_IMODE(written.stat().st_mode)
    assert [p.name for p in written.parent.iterdir()] == ["main.yml"]  # no temporary left


def test_an_existing_regular_file_is_replaced(tmp_path):
    (tmp_path / "a.txt").write_text("old")
    FolderWriter(tmp_path).write_text("a.txt", "new")
    assert (tmp_path / "a.txt").read_text() == "new"


def test_a_symlink_at_the_name_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "uname-r.txt").symlink_to(victim)
    writer = FolderWriter(folder)
    with pytest.raises(UnsafeTarget, match=r"uname-r.txt is a symbolic link") as refused:
        writer.check(["uname-r.txt"])
    assert refused.value.exit_code == EXIT_USAGE
    with pytest.raises(UnsafeTarget, match="symbolic link"):
        writer.write_text("uname-r.txt", "6.8.0\n")
    assert victim.read_text() == "precious"
    dangling = folder / "os-release.txt"
    dangling.symlink_to(tmp_path / "created-elsewhere")
    with pytest.raises(UnsafeTarget):
        writer.write_text("os-release.txt", "ID=ubuntu\n")
    assert not (tmp_path / "created-elsewhere").exists()


def test_a_fifo_at_the_name_is_refused_without_opening_it(tmp_path):
    os.mkfifo(tmp_path / "site.yml")  # opening it for writing would wait for a reader forever
    writer = FolderWriter(tmp_path)
    with pytest.raises(UnsafeTarget, match=r"site.yml is a FIFO where nvwizard writes a file"):
        writer.check(["site.yml"])
    with pytest.raises(UnsafeTarget, match="a FIFO"):
        writer.write_text("site.yml", "- hosts: all\n")


def test_a_directory_or_device_at_the_name_is_refused(tmp_path):
    (tmp_path / "README.md").mkdir()
    with pytest.raises(UnsafeTarget, match="README.md is a directory"):
        FolderWriter(tmp_path).write_text("README.md", "x")
    (tmp_path / "null.txt").symlink_to("/dev/null")
    with pytest.raises(UnsafeTarget, match="symbolic link"):
        FolderWriter(tmp_path).check(["null.txt"])


def test_a_symlinked_folder_inside_is_never_written_through(tmp_path):
    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "roles").symlink_to(elsewhere)
    writer = FolderWriter(folder)
    with pytest.raises(
        UnsafeTarget, match=r"roles is a symbolic link where nvwizard writes a folder"
    ):
        writer.check(["roles/nvwizard/tasks/main.yml"])
    with pytest.raises(UnsafeTarget, match="roles is a symbolic link"):
        writer.write_text("roles/nvwizard/tasks/main.yml", "x")
    assert list(elsewhere.iterdir()) == []


def test_a_hard_link_is_replaced_not_written_into(tmp_path):
    other = tmp_path / "owned-by-someone"
    other.write_text("theirs")
    folder = tmp_path / "out"
    folder.mkdir()
    os.link(other, folder / "dpkg-l.txt")
    FolderWriter(folder).write_text("dpkg-l.txt", "ours")
    assert (folder / "dpkg-l.txt").read_text() == "ours"
    assert other.read_text() == "theirs"


def test_remove_takes_the_link_away_not_its_target(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "stale.txt").symlink_to(victim)
    writer = FolderWriter(folder)
    writer.remove("stale.txt")
    writer.remove("never-there.txt")
    assert not (folder / "stale.txt").is_symlink() and victim.read_text() == "precious"
    (folder / "dir.txt").mkdir()
    with pytest.raises(UnsafeTarget, match="dir.txt is a directory"):
        writer.remove("dir.txt")


def test_the_folder_named_may_itself_be_a_symlink(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "named").symlink_to(real)
    FolderWriter(tmp_path / "named").write_text("a.txt", "x")  # the person chose it
    assert (real / "a.txt").read_text() == "x"


@pytest.mark.parametrize("relative", ["../x", "/etc/passwd", ""])
def test_a_path_outside_the_folder_is_a_programming_error(tmp_path, relative):
    with pytest.raises(ValueError):
        FolderWriter(tmp_path).write_text(relative, "x")
