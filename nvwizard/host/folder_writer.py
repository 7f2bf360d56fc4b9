"""Writing files into a folder a person named (`capture`'s bundle, `export`'s playbook), often
as root: never through anything already planted in it.

With --force the folder may hold anything, put there by anyone who could write to it: a
symlink named `uname-r.txt` pointing at /etc/shadow, a FIFO named `site.yml`, a hard link to
a root-owned file, a symlinked `roles/` folder. Writing with `open(path, "w")` would follow the
link (a root command then writes outside the folder), wait forever on the FIFO, or change the
hard-linked file. So every file is written to a new temporary file in its folder and renamed
over its name (the rename replaces the entry, never what it points to), each folder below
the named one is opened with O_NOFOLLOW and every step is taken relative to that open folder.
An entry that is a symlink, FIFO, directory, device or socket where nvwizard writes a file
(or anything but a real directory where it writes a folder) is refused with one line
(`UnsafeTarget`, exit 2): `check` says so before anything is written, the writes again.

The folder itself is followed as named: the person chose it.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path, PurePosixPath

from nvwizard.errors import UsageError

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class UnsafeTarget(UsageError):
    """A name nvwizard would write is not a regular file (or not a real folder): one line."""


def kind_of(mode: int) -> str:
    """What a file of this (lstat) mode is, in words: "a symbolic link", "a FIFO", ..."""
    return next((name for test, name in _KINDS if test(mode)), "a regular file")


class FolderWriter:
    """Writes regular files under `folder` (relative POSIX paths, e.g. "roles/x/main.yml")."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def check(self, relatives: Iterable[str]) -> None:
        """UnsafeTarget for the first of these paths that could not be written safely now."""
        for relative in relatives:
            parts = _parts(relative)
            for depth in range(1, len(parts) + 1):
                path = self.folder.joinpath(*parts[:depth])
                try:
                    mode = path.lstat().st_mode
                except OSError:  # missing (written later), or unreadable: the write will say
                    break
                is_file = depth == len(parts)
                if not (stat.S_ISREG if is_file else stat.S_ISDIR)(mode):
                    raise self._refusal(path, kind_of(mode), "a file" if is_file else "a folder")

    def write(self, relative: str, data: bytes, mode: int = 0o644) -> None:
        """`data` as the file `relative`: a temporary file beside it, renamed over it."""
        *folders, name = _parts(relative)
        with self._folder(folders, create=True) as fd:
            self._refuse_unless_regular(fd, folders, name)
            temporary = f".{name}.nvwizard-{secrets.token_hex(4)}"
            out = os.open(temporary, _NEW_FILE_FLAGS, mode, dir_fd=fd)
            try:
                with os.fdopen(out, "wb") as file:
                    file.write(data)
                os.replace(temporary, name, src_dir_fd=fd, dst_dir_fd=fd)
            except BaseException as error:
                with suppress(OSError):
                    os.unlink(temporary, dir_fd=fd)
                if isinstance(error, IsADirectoryError):  # became a directory meanwhile
                    raise self._refusal(self._path(folders, name), "a directory") from None
                raise

    def write_text(self, relative: str, text: str) -> None:
        self.write(relative, text.encode("utf-8"))

    def remove(self, relative: str) -> None:
        """Remove the entry `relative` (never what a link points to); nothing when missing."""
        *folders, name = _parts(relative)
        try:
            with self._folder(folders, create=False) as fd:
                mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    raise self._refusal(self._path(folders, name), "a directory")
                os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            return

    def names(self, relative_folder: str) -> list[str]:
        """The entries of a folder under `folder` (empty when it does not exist)."""
        try:
            with self._folder(_parts(relative_folder), create=False) as fd:
                return os.listdir(fd)
        except FileNotFoundError:
            return []

    @contextmanager
    def _folder(self, folders: list[str], create: bool) -> Iterator[int]:
        """The folder `folders` under `folder`, open; each one below `folder` never a link."""
        if create:
            self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            for depth, name in enumerate(folders, 1):
                if create:
                    try:
                        os.mkdir(name, 0o755, dir_fd=fd)
                    except FileExistsError:
                        pass
                try:
                    inner = os.open(name, _DIRECTORY_FLAGS, dir_fd=fd)
                except OSError as error:
                    if error.errno not in (errno.ELOOP, errno.ENOTDIR):
                        raise
                    mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
                    path = self._path(folders[:depth], None)
                    raise self._refusal(path, kind_of(mode), "a folder") from None
                os.close(fd)
                fd = inner
            yield fd
        finally:
            os.close(fd)

    def _refuse_unless_regular(self, fd: int, folders: list[str], name: str) -> None:
        try:
            mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return
        if not stat.S_ISREG(mode):
            raise self._refusal(self._path(folders, name), kind_of(mode))

    def _path(self, folders: list[str], name: str | None) -> Path:
        path = self.folder.joinpath(*folders)
        return path / name if name else path

    def _refusal(self, path: Path, what: str, wanted: str = "a file") -> UnsafeTarget:
        return UnsafeTarget(
            f"{path} is {what} where nvwizard writes {wanted}: it never writes through a link "
            "or into a FIFO, device or other file type; remove it, or choose a new folder"
        )


def _parts(relative: str) -> list[str]:
    parts = list(PurePosixPath(relative).parts)
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise ValueError(f"not a path inside the folder: {relative!r}")
    return parts
