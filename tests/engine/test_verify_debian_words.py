"""verify names the packages of the machine's own distribution: on Debian, with nothing
installed, module-version named Ubuntu's libnvidia-compute and nvidia-utils, which Debian
does not have (its driver's libraries are libcuda1 and nvidia-smi)."""

from nvwizard.engine.verify import check_module_version
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host


def test_debian_names_its_own_driver_packages_when_none_is_installed():
    report = build_report(demo_host("debian12-t4"))
    check = check_module_version(report, [])
    assert not check.ok
    assert "libnvidia-compute" not in check.detail and "nvidia-utils" not in check.detail
    assert "libcuda1" in check.detail and "nvidia-smi" in check.detail


def test_ubuntu_still_names_its_own():
    report = build_report(demo_host("rtx3090-fresh"))
    check = check_module_version(report, [])
    assert "no libnvidia-compute or nvidia-utils package is installed" == check.detail
