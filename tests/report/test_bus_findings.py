"""GPUs on the bus that the driver cannot use, from captured bundles (the host swapped for a
folder of captured outputs; samples: tests/detect/samples/bus/SOURCES.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

from nvwizard.host.bundle import BundleHost
from nvwizard.host.demo import find_demo
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report

SAMPLES = Path(__file__).resolve().parents[1] / "detect" / "samples"
BUS_IDS = {"gpu-fallen-off-bus", "gpus-missing-from-nvidia-smi", "gpu-passthrough"}
BUS_IDS |= {"gpu-switched-off", "gpu-rev-ff-unconfirmed"}
LAPTOP_GREP = "bus/lspci-grep-nvidia-laptop-gtx765m-switched-off.txt"

# open-gpu-kernel-modules#387: four RTX 2080 Ti, GPU 1 at 0000:0B:00.0 fell off the bus; the
# issue posted no lspci, so these lines are composed (-nn -k), its GPU reading all ones
LSPCI_2080TI_ONE_LOST = "".join(
    f"{bus}:00.0 VGA compatible controller [0300]: NVIDIA Corporation TU102 [GeForce RTX 2080 "
    f"Ti Rev. A] [10de:1e07] (rev {'ff' if bus == '0b' else 'a1'})\n"
    "\tKernel driver in use: nvidia\n"
    for bus in ("05", "0b", "85", "8b")
)


def report_of(tmp_path: Path, **files: str):
    for name, text in files.items():
        (tmp_path / (name.replace("_", "-") + ".txt")).write_text(text, encoding="utf-8")
    return build_report(BundleHost(tmp_path))


def sample(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def by_id(report) -> dict:
    return {f.id: f for f in report.findings}


def test_a_gpu_fallen_off_the_bus_blocks_and_says_a_driver_will_not_help(tmp_path):
    report = report_of(
        tmp_path,
        lspci_nn=LSPCI_2080TI_ONE_LOST,
        nvidia_smi=sample("bus/nvidia-smi-2080ti-0b-unknown-error.txt"),
    )
    found = by_id(report)
    lost = found["gpu-fallen-off-bus"]
    assert lost.severity == "block"
    assert lost.message == (
        "A GPU has fallen off the PCI bus: 0000:0b:00.0 (GeForce RTX 2080 Ti Rev. A), lspci: "
        "rev ff, its config space reads all ones."
    )
    assert lost.fix.startswith("Installing or reinstalling a driver cannot bring it back")
    assert "power the machine off and on" in lost.fix and "reseat the card" in lost.fix
    assert "Xid 79" in lost.fix
    # the lost GPU is that finding's: not said again as one nvidia-smi misses
    assert "gpus-missing-from-nvidia-smi" not in found
    assert report.findings[0].id == "gpu-fallen-off-bus"  # block first


def test_nvidia_smi_saying_gpu_is_lost_is_evidence_enough(tmp_path):
    # JosephKJ/OWOD#81's nvidia-smi; the sysfs line (composed) still reads the cached rev a1
    sysfs = (
        "0000:02:00.0 class=0x030000 vendor=0x10de device=0x1e07 "
        "modalias=pci:v000010DEd00001E07sv00001458sd000037A9bc03sc00i00 driver=nvidia\n"
    )
    report = report_of(
        tmp_path,
        sysfs_pci=sysfs,
        nvidia_smi=sample("nvidia-smi/error-gpu-is-lost.txt"),
    )
    lost = by_id(report)["gpu-fallen-off-bus"]
    assert lost.message == (
        "A GPU has fallen off the PCI bus: 0000:02:00.0, nvidia-smi: GPU is lost."
    )


def test_a_laptops_switched_off_gpu_is_no_fault(tmp_path):
    """rev ff next to Intel graphics, no driver bound: the GPU switched off to save power."""
    for name in (
        "bus/lspci-plain-laptop-gtx765m-switched-off.txt",
        "bus/lspci-egrep-optimus-920m-switched-off.txt",
    ):
        folder = tmp_path / Path(name).stem
        folder.mkdir()
        found = by_id(report_of(folder, lspci_nn=sample(name)))
        assert "gpu-fallen-off-bus" not in found, name
        assert found["gpu-switched-off"].severity == "info"
        assert "not a fault" in found["gpu-switched-off"].message


def test_rev_ff_in_a_whole_listing_without_integrated_graphics_is_fallen_off(tmp_path):
    """A whole lspci (its host bridge and the rest listed) with no Intel or AMD graphics: a
    server's GPU reading all ones has fallen off the bus."""
    lines = (
        "00:00.0 Host bridge [0600]: Intel Corporation Sky Lake-E DMI3 Registers [8086:2020] "
        "(rev 07)\n"
        "3b:00.0 3D controller [0302]: NVIDIA Corporation TU104GL [Tesla T4] [10de:1eb8] (rev ff)\n"
    )
    found = by_id(report_of(tmp_path, lspci_nn=lines))
    assert found["gpu-fallen-off-bus"].severity == "block"
    assert "gpu-switched-off" not in found and "gpu-rev-ff-unconfirmed" not in found


def test_a_grep_filtered_laptop_listing_is_no_evidence_of_a_lost_gpu(tmp_path):
    """`lspci | grep -i nvidia` on the laptop whose GTX 765M is switched off: its one line
    reads rev ff, and grep dropped the Intel graphics beside it (and any driver line). That
    is no evidence either way: no blocking condition, a warning that asks for the whole
    listing."""
    found = by_id(report_of(tmp_path, lspci_nn=sample(LAPTOP_GREP)))
    assert "gpu-fallen-off-bus" not in found and "gpu-switched-off" not in found
    unconfirmed = found["gpu-rev-ff-unconfirmed"]
    assert unconfirmed.severity == "warn"
    assert unconfirmed.message == (
        "lspci shows rev ff (its config space reads all ones) for 0000:01:00.0 (GeForce GTX "
        "765M), but the listing has only NVIDIA devices (filtered, e.g. through `grep -i "
        "nvidia`): a laptop's GPU switched off to save power and a GPU fallen off the bus look "
        "the same there."
    )
    assert "`lspci -nnk`" in unconfirmed.fix
    assert [f.id for f in found.values() if f.severity == "block"] == []


def test_a_filtered_listing_with_nvidia_bound_to_the_rev_ff_gpu_is_fallen_off(tmp_path):
    """The driver held it and it stopped answering: evidence enough, filtered or not."""
    line = sample(LAPTOP_GREP) + "\tKernel driver in use: nvidia\n"
    found = by_id(report_of(tmp_path, lspci_nn=line))
    assert found["gpu-fallen-off-bus"].severity == "block"
    assert "gpu-rev-ff-unconfirmed" not in found


def test_a_gpu_nvidia_smi_does_not_list_beside_the_others_is_named(tmp_path):
    report = report_of(
        tmp_path,
        lspci_nn=sample("bus/lspci-grep-nvidia-4x-l40s.txt"),
        nvidia_smi=sample("bus/nvidia-smi-570-l40s-3-of-4.txt"),
    )
    found = by_id(report)
    missing = found["gpus-missing-from-nvidia-smi"]
    assert missing.severity == "warn"
    assert missing.message == (
        "nvidia-smi lists 3 of the 4 NVIDIA GPUs on the PCI bus; it does not list 0000:ac:00.0 "
        "(Device 26b9)."
    )
    assert "fell off the bus" in missing.fix and "Xid" in missing.fix
    assert "vfio-pci for a VM's passthrough is on purpose" in missing.fix
    assert "gpu-fallen-off-bus" not in found


def test_the_missing_gpus_driver_binding_is_said(tmp_path):
    sysfs = "".join(
        f"0000:{bus}:00.0 class=0x030200 vendor=0x10de device=0x26b9 driver={driver}\n"
        for bus, driver in (("16", "nvidia"), ("38", "nvidia"), ("82", "nvidia"), ("ac", "-"))
    )
    found = by_id(
        report_of(
            tmp_path, sysfs_pci=sysfs, nvidia_smi=sample("bus/nvidia-smi-570-l40s-3-of-4.txt")
        )
    )
    assert found["gpus-missing-from-nvidia-smi"].message.endswith("does not list 0000:ac:00.0.")
    sysfs = sysfs.replace("driver=-", "driver=nouveau")
    (tmp_path / "sysfs-pci.txt").write_text(sysfs)
    found = by_id(build_report(BundleHost(tmp_path)))
    assert found["gpus-missing-from-nvidia-smi"].message.endswith(
        "does not list 0000:ac:00.0, bound to nouveau."
    )


def test_a_gpu_bound_to_vfio_pci_is_for_a_vm_not_a_fault(tmp_path):
    found = by_id(report_of(tmp_path, lspci_nn=sample("bus/lspci-nnk-p40-vfio-pci.txt")))
    passthrough = found["gpu-passthrough"]
    assert passthrough.severity == "info"
    assert passthrough.message.startswith(
        "The GPU 0000:04:00.0 (Tesla P40) bound to vfio-pci for a virtual machine's passthrough"
    )
    assert "Nothing to do if it is meant for a VM" in passthrough.fix


def test_a_passed_through_gpu_is_not_missing_from_nvidia_smi(tmp_path):
    """Four L40S, the fourth bound to vfio-pci (composed): nvidia-smi lists the other three."""
    sysfs = "".join(
        f"0000:{bus}:00.0 class=0x030200 vendor=0x10de device=0x26b9 driver={driver}\n"
        for bus, driver in (
            ("16", "nvidia"),
            ("38", "nvidia"),
            ("82", "nvidia"),
            ("ac", "vfio-pci"),
        )
    )
    found = by_id(
        report_of(
            tmp_path, sysfs_pci=sysfs, nvidia_smi=sample("bus/nvidia-smi-570-l40s-3-of-4.txt")
        )
    )
    assert set(found) & BUS_IDS == {"gpu-passthrough"}


def test_healthy_machines_have_none_of_these(tmp_path):
    report = report_of(
        tmp_path,
        lspci_nn=sample("lspci/lspci-nn-k-rtx3090.txt"),
        nvidia_smi=sample("nvidia-smi/r550-rtx4090-91col.txt"),  # its GPU at 01:00.0 too
    )
    assert report.gpus and not set(by_id(report)) & BUS_IDS


def full_bundle(tmp_path: Path, demo: str = "rtx3090-fresh") -> Path:
    folder = tmp_path / "bundle"
    shutil.copytree(find_demo(demo).path, folder)
    (folder / "machine.txt").unlink()  # a captured bundle of a real machine, not a demo
    return folder


def lose_the_gpu(folder: Path) -> None:
    """The captured sysfs of a machine whose RTX 3090 fell off the bus since boot."""
    sysfs = folder / "sysfs-pci.txt"
    lines = [
        f"{line} revision=0xff" if line.startswith("0000:01:00.0 ") else line
        for line in sysfs.read_text().splitlines()
    ]
    sysfs.write_text("\n".join(lines) + "\n")


def test_the_plan_has_it_as_a_blocking_condition(tmp_path):
    folder = full_bundle(tmp_path)
    lose_the_gpu(folder)
    report = build_report(BundleHost(folder))
    plan = build_plan(report, default_choices(report))
    [blocker] = plan.blockers
    assert blocker.id == "gpu-fallen-off-bus"
    assert "cannot bring it back" in blocker.message
    assert any(w.startswith("A GPU has fallen off the PCI bus") for w in plan.warnings)


def test_nvidia_smi_alone_naming_a_lost_gpu_is_a_gpu_found(tmp_path):
    """JosephKJ/OWOD#81: the bundle has nvidia-smi.txt only; the GPU it cannot reach is still
    a GPU of this machine, not "No NVIDIA GPU was found"."""
    report = report_of(tmp_path, nvidia_smi=sample("nvidia-smi/error-gpu-is-lost.txt"))
    assert [g.pci_address for g in report.gpus] == ["0000:02:00.0"]
    found = by_id(report)
    assert "no-nvidia-gpu" not in found
    assert found["gpu-fallen-off-bus"].message.endswith("0000:02:00.0, nvidia-smi: GPU is lost.")
