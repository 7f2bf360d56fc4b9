"""apt's Status-Fd lines (captured from apt 2.6 in the sandbox) and failure diagnosis."""

from nvwizard.engine.diagnose import diagnose, lock_holder, parse_package_states
from nvwizard.engine.status_fd import StatusLine, parse_status_line


def test_real_status_fd_lines():
    assert parse_status_line("dlstatus:1:100.0000:Retrieving file 1 of 1") == StatusLine(
        "download", None, 100.0, "Retrieving file 1 of 1"
    )
    assert parse_status_line(
        "pmstatus:nvidia-utils-580:20.0000:Unpacking nvidia-utils-580 (amd64)"
    ) == StatusLine("install", "nvidia-utils-580", 20.0, "Unpacking nvidia-utils-580 (amd64)")
    assert parse_status_line("pmstatus:dpkg-exec:0.0000:Running dpkg").text == "Running dpkg"
    error = parse_status_line(
        "pmerror:nvidia-utils-580:60.0000:installed nvidia-utils-580 package post-installation "
        "script subprocess returned error exit status 1"
    )
    assert error.kind == "error" and error.package == "nvidia-utils-580"
    assert error.text.endswith("returned error exit status 1")


def test_status_lines_with_an_architecture_or_colons_in_the_text():
    line = parse_status_line("pmstatus:libc6:amd64:33.3333:Configuring libc6:amd64 (amd64)")
    assert line == StatusLine("install", "libc6:amd64", 33.3333, "Configuring libc6:amd64 (amd64)")


def test_lines_that_are_not_status_lines():
    for text in ("", "Reading package lists...", "pmstatus", "nonsense:1:2:3"):
        assert parse_status_line(text) is None


def test_package_states_pick_out_unfinished_packages():
    text = "bash\tii \t5.2\nnvidia-dkms-580\tiF \t580\nlibfoo\tiU \t1\nold\trc \t1\ngone\tun \t\n"
    broken = parse_package_states(text)
    assert [(b.name, b.state, b.meaning) for b in broken] == [
        ("nvidia-dkms-580", "iF", "half-configured"),
        ("libfoo", "iU", "unpacked, not configured"),
    ]


def test_diagnosis_tells_failures_apart_by_text():
    interrupted = diagnose(
        [
            "E: dpkg was interrupted, you must manually run 'dpkg --configure -a' to correct the "
            "problem."
        ],
        [],
    )
    assert interrupted.cause == "interrupted" and interrupted.repair == [
        "dpkg",
        "--configure",
        "-a",
    ]
    missing = diagnose(["E: Unable to locate package nvidia-driver-999"], [])
    assert missing.cause == "not-found" and missing.repair is None
    unmet = diagnose(
        [
            "The following packages have unmet dependencies:",
            "E: Unable to correct problems, you have held broken packages.",
        ],
        [],
    )
    assert unmet.cause == "unmet"
    killed = diagnose(["E: Sub-process /usr/bin/dpkg exited unexpectedly"], [])
    assert killed.cause == "interrupted"


def test_lock_holder_comes_from_apts_message():
    lines = [
        "Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. It is held by "
        "process 7107 (unattended-upgr)...",
        "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another "
        "process using it?",
    ]
    assert lock_holder(lines) == "process 7107 (unattended-upgr)"
    assert diagnose(lines, []).cause == "lock"


def test_held_packages_are_named_as_the_cause():
    held = diagnose(
        ["E: Held packages were changed and -y was used without --allow-change-held-packages."],
        [],
    )
    assert held.cause == "held" and "apt-mark unhold" in held.next_action
