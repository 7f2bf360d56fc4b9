"""Is this machine headless? Judged from the session scan and the installed packages."""

from __future__ import annotations

from collections.abc import Sequence

from nvwizard.detect.models import DpkgEntry

# Display manager packages: installed but stopped still means a desktop machine.
DISPLAY_MANAGERS = frozenset({"gdm3", "gdm", "lightdm", "sddm", "xdm", "lxdm", "slim", "nodm"})
# Ubuntu's desktop and server metapackages (the installers' seeds).
DESKTOP_METAPACKAGES = frozenset(
    {
        "ubuntu-desktop",
        "ubuntu-desktop-minimal",
        "kubuntu-desktop",
        "xubuntu-desktop",
        "lubuntu-desktop",
        "ubuntu-mate-desktop",
        "ubuntu-budgie-desktop",
        "task-desktop",
    }
)
SERVER_METAPACKAGES = frozenset({"ubuntu-server", "ubuntu-server-minimal"})
MULTI_USER_TARGET = "multi-user.target"


def is_headless(session: dict[str, str], packages: Sequence[DpkgEntry] = ()) -> bool | None:
    """True or False from evidence, None when nothing shows either way.

    Desktop: a display manager is active, or a display manager or desktop metapackage is
    installed. Headless: the session scan found no active display manager, or the default
    target is multi-user.target, or Ubuntu's server metapackage is installed. Ubuntu Server
    (and its cloud images) report `graphical.target` as the default with no display manager
    at all, so that target alone proves nothing, and neither does a missing session file (a
    pasted bundle): then the answer is None, and plans say they assumed a headless server.
    """
    installed = {p.name for p in packages if p.state[1:2] == "i"}
    if session.get("display_manager", "").lower() in ("yes", "active", "true"):
        return False
    if installed & (DISPLAY_MANAGERS | DESKTOP_METAPACKAGES):
        return False
    if session.get("display_manager", "").lower() in ("no", "inactive", "false"):
        return True
    if session.get("default_target", "").strip() == MULTI_USER_TARGET:
        return True
    if installed & SERVER_METAPACKAGES:
        return True
    return None
