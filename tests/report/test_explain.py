import pytest

from nvwizard.knowledge.explanations import OPEN_TEXT, SERVER_TEXT
from nvwizard.report.explain import explain_candidate

from .helpers import candidate, gpu, report

RTX3090 = gpu("2204", "GA102 [GeForce RTX 3090]")
GTX1080 = gpu("1b80", "GP104 [GeForce GTX 1080]")
KERNEL = "6.8.0-87-generic"


def _by_title(paragraphs):
    return {p.title: p for p in paragraphs}


def test_open_variant_on_pascal_is_explained_as_impossible():
    rep = report(gpus=[GTX1080], kernel=KERNEL)
    paragraphs = explain_candidate(candidate("nvidia-driver-580-open", [GTX1080]), rep)
    assert paragraphs[0].title == "Cannot run here" and paragraphs[0].severity == "block"
    modules = _by_title(paragraphs)["Open kernel modules"]
    assert "GeForce GTX 1080 (Pascal) cannot run them" in modules.text
    assert modules.severity == "block"


def test_open_variant_on_ampere_runs():
    rep = report(gpus=[RTX3090], kernel=KERNEL)
    modules = _by_title(explain_candidate(candidate("nvidia-driver-580-open"), rep))
    assert modules["Open kernel modules"].text.startswith(OPEN_TEXT)
    assert "The GeForce RTX 3090 (Ampere) runs them." in modules["Open kernel modules"].text


def test_server_and_headless_texts():
    rep = report(gpus=[RTX3090], kernel=KERNEL, headless=True)
    titles = _by_title(explain_candidate(candidate("nvidia-driver-580-server"), rep))
    assert titles["Data-center build (-server)"].text == SERVER_TEXT
    assert "nvidia-utils" in titles["Headless install"].text
    desktop = report(gpus=[RTX3090], kernel=KERNEL, headless=False)
    assert "Desktop install" in _by_title(
        explain_candidate(candidate("nvidia-driver-580"), desktop)
    )


def test_desktop_build_on_an_nvswitch_board_warns_about_fabric_manager():
    rep = report(gpus=[RTX3090], kernel=KERNEL, nvswitch_count=4)
    build = _by_title(explain_candidate(candidate("nvidia-driver-580"), rep))["Desktop build"]
    assert build.severity == "warn" and "nvidia-fabricmanager-580" in build.text


def test_signed_modules_versus_dkms_under_secure_boot_over_ssh():
    signed = report(
        gpus=[RTX3090],
        kernel=KERNEL,
        secure_boot="enabled",
        signed_modules_available=[f"linux-modules-nvidia-580-open-{KERNEL}"],
    )
    paragraphs = _by_title(explain_candidate(candidate("nvidia-driver-580-open"), signed))
    assert "Signed modules" in paragraphs
    dkms = _by_title(explain_candidate(candidate("nvidia-driver-570"), signed))
    assert dkms["DKMS under Secure Boot"].severity == "warn"
    signed.over_ssh = True
    dkms = _by_title(explain_candidate(candidate("nvidia-driver-570"), signed))
    assert "console or BMC" in dkms["DKMS under Secure Boot"].text
    signed.secure_boot = "disabled"
    dkms = _by_title(explain_candidate(candidate("nvidia-driver-570"), signed))
    assert dkms["DKMS-built modules"].severity == "info"


def test_no_signed_modules_is_said_of_the_highlighted_candidate_not_of_the_kernel():
    """gtx1080-secureboot: 535/570/590/595/610 have signed modules for the kernel, 580 not."""
    rep = report(
        gpus=[GTX1080],
        kernel=KERNEL,
        secure_boot="enabled",
        signed_modules_available=[f"linux-modules-nvidia-570-{KERNEL}"],
    )
    dkms = _by_title(explain_candidate(candidate("nvidia-driver-580-server"), rep))
    text = dkms["DKMS under Secure Boot"].text
    assert text.startswith(
        f"No signed precompiled modules are offered for 580-server on kernel {KERNEL} "
        f"(apt has no linux-modules-nvidia-580-server-{KERNEL})."
    )
    assert "Signed modules" in _by_title(explain_candidate(candidate("nvidia-driver-570"), rep))


def _judged(package: str, year: int, month: int):
    """The candidate with its lifecycle on the first of that month, as a report has it."""
    import datetime as dt

    from nvwizard.report.lifecycle import with_lifecycle

    (judged,) = with_lifecycle([candidate(package)], dt.date(year, month, 1))
    return judged


def test_branch_support_and_end_of_life():
    rep = report(gpus=[RTX3090], kernel=KERNEL)
    # the candidate's lifecycle, as the report judged it on its day, decides the words
    before = _by_title(explain_candidate(_judged("nvidia-driver-535-server", 2026, 1), rep))[
        "Support and end of life"
    ]
    assert "long-term support branch (LTSB)" in before.text and "until 2026-06" in before.text
    assert "CUDA 12.2" in before.text and before.severity == "info"
    after = _by_title(explain_candidate(_judged("nvidia-driver-535-server", 2026, 9), rep))[
        "Support and end of life"
    ]
    assert "end of life in 2026-06" in after.text and after.severity == "warn"


def test_debian_candidates_are_explained_with_debians_names_and_dkms():
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    rep = build_report(demo_host("debian12-t4"))
    tesla = _by_title(explain_candidate(rep.candidate("nvidia-tesla-535-driver"), rep))
    assert "nvidia-tesla-535-kernel-dkms" in tesla["Data-center build (Tesla)"].text
    assert "nvidia-headless-no-dkms" not in tesla["Headless install"].text
    modules = tesla["DKMS-built modules"]
    assert "Debian has no precompiled NVIDIA modules" in modules.text
    assert "linux-modules-nvidia" not in modules.text
    rep.secure_boot = "enabled"
    opened = _by_title(explain_candidate(rep.candidate("nvidia-open-kernel-dkms"), rep))
    assert opened["Open kernel modules"].text.startswith("nvidia-open-kernel-dkms builds")
    under_sb = opened["DKMS under Secure Boot"]
    assert under_sb.severity == "warn" and "/var/lib/dkms/mok.pub" in under_sb.text
    assert "you are on SSH" in under_sb.text


def test_the_version_apt_installs_and_a_newer_build_of_the_branch_are_said():
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    rep = build_report(demo_host("debian12-t4"))
    tesla = _by_title(explain_candidate(rep.candidate("nvidia-tesla-535-driver"), rep))
    version = tesla["Version"]
    assert version.severity == "warn"
    assert version.text == (
        "apt installs nvidia-tesla-535-driver 535.216.03-3~deb12u1. nvidia-driver "
        "535.309.01-0+deb12u1, of the same branch, is a newer build: it carries NVIDIA's later "
        "fixes."
    )
    current = _by_title(explain_candidate(rep.candidate("nvidia-driver"), rep))["Version"]
    assert current.severity == "info"
    assert current.text == "apt installs nvidia-driver 535.309.01-0+deb12u1."
    # the open modules lag, but they cannot run here: not offered as the newer build
    assert "open-kernel-dkms" not in version.text


@pytest.mark.parametrize("name", ["debian12-t4", "debian13-l4"])
def test_debians_desktop_build_names_only_packages_debian_has(name):
    """Neither bookworm nor trixie has nvidia-legacy-*xx-driver packages."""
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    rep = build_report(demo_host(name))
    build = _by_title(explain_candidate(rep.candidate("nvidia-driver"), rep))["Desktop build"]
    assert "legacy" not in build.text
    assert "535 in Debian 12, 550 in Debian 13" in build.text


def test_open_modules_apt_cannot_install_are_not_said_to_be_beyond_the_gpu():
    from nvwizard.report.build import build_report
    from nvwizard.simulator import demo_host

    rep = build_report(demo_host("debian12-t4"))  # bookworm: the open modules lag the driver
    opened = _by_title(explain_candidate(rep.candidate("nvidia-open-kernel-dkms"), rep))
    assert "lag nvidia-driver" in opened["Cannot run here"].text
    assert opened["Open kernel modules"].text.endswith("The Tesla T4 (Turing) runs them.")
    pascal = build_report(demo_host("gtx1080-secureboot"))
    impossible = next(c for c in pascal.driver_candidates if c.open)
    text = _by_title(explain_candidate(impossible, pascal))["Open kernel modules"].text
    assert text.endswith("cannot run them.")


def test_debian_secure_boot_finding_names_dkms_key():
    from nvwizard.report.build import build_report
    from nvwizard.report.facts import ExtraFacts
    from nvwizard.report.findings import secure_boot_dkms_only
    from nvwizard.simulator import demo_host

    rep = build_report(demo_host("debian12-t4"))
    assert secure_boot_dkms_only(rep, ExtraFacts()) is None  # no EFI on this VM
    rep.secure_boot = "enabled"
    found = secure_boot_dkms_only(rep, ExtraFacts())
    assert "Debian builds NVIDIA modules with DKMS only" in found.message
    assert "mokutil --import /var/lib/dkms/mok.pub" in found.fix


def test_explanations_are_true_about_server_builds_cuda_and_transitional_packages():
    from nvwizard.knowledge.explanations import SUPPORT_TEXT

    # -server exists for new feature branches too; it is packaging, not a support promise
    assert "575-server" in SERVER_TEXT and "does not mean long-term support" in SERVER_TEXT
    # both distributions retire a driver into transitional packages (bookworm's
    # nvidia-tesla-driver depends on nvidia-driver): never "Ubuntu only"
    assert "not Debian" not in SUPPORT_TEXT
    assert "Ubuntu turns" in SUPPORT_TEXT and "nvidia-tesla-driver now installs" in SUPPORT_TEXT
    rep = report(gpus=[RTX3090], kernel=KERNEL, headless=True)
    support = _by_title(explain_candidate(_judged("nvidia-driver-535-server", 2026, 1), rep))[
        "Support and end of life"
    ]
    assert "any CUDA 12.x toolkit" in support.text and "up to CUDA 12.2" not in support.text


def test_assumed_headless_is_said_on_the_install_paragraph():
    rep = report(gpus=[RTX3090], kernel=KERNEL, headless=None)
    titles = _by_title(explain_candidate(candidate("nvidia-driver-580-server-open"), rep))
    assumed = titles["Headless install (assumed)"]
    assert assumed.severity == "warn" and "untick Headless" in assumed.text
