"""Why a step failed, from apt's lines: a lock apt waited for is not the cause of what failed
after it."""

from nvwizard.engine.diagnose import BrokenPackage, diagnose

WAITED = (
    "Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. "
    "It is held by process 1873 (unattended-upgr)..."
)
POSTINST_FAILED = [
    "Setting up nvidia-dkms-580-server (580.95.05-0ubuntu1) ...",
    "dpkg: error processing package nvidia-dkms-580-server (--configure):",
    " installed nvidia-dkms-580-server package post-installation script subprocess returned "
    "error exit status 10",
    "Errors were encountered while processing:",
    " nvidia-dkms-580-server",
    "E: Sub-process /usr/bin/dpkg returned an error code (1)",
]
HALF_CONFIGURED = [BrokenPackage("nvidia-dkms-580-server", "iF", "half-configured")]


def test_a_maintainer_script_that_failed_after_a_lock_wait_is_the_cause():
    found = diagnose([WAITED, WAITED, *POSTINST_FAILED], HALF_CONFIGURED)
    assert found.cause == "maintainer-script"
    assert found.repair == ["dpkg", "--configure", "-a"]
    assert "nvidia-dkms-580-server (half-configured)" in found.message


def test_a_lock_apt_gave_up_on_is_the_cause():
    gave_up = [
        WAITED,
        "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1873 "
        "(unattended-upgr)",
        "N: Be aware that removing the lock file is not a solution and may break your system.",
        "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another "
        "process using it?",
    ]
    found = diagnose(gave_up, [])
    assert found.cause == "lock"
    assert "process 1873 (unattended-upgr)" in found.message
    assert found.repair is None
