"""Parsed facts the findings need but the report does not carry (the report lists only the
NVIDIA-related packages, for example, while a kernel check needs every linux-image)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nvwizard.detect.apt_sources import AptSourceEntry
from nvwizard.detect.models import AptPackage, DfEntry, DpkgEntry, PciDevice
from nvwizard.report.wording import COMMAND_LINE, FrontEndWords


@dataclass
class ExtraFacts:
    all_packages: list[DpkgEntry] = field(default_factory=list)  # every dpkg entry
    apt_packages: list[AptPackage] = field(default_factory=list)  # apt-cache-show stanzas
    apt_sources: list[AptSourceEntry] = field(default_factory=list)
    disk: list[DfEntry] = field(default_factory=list)
    pci_devices: list[PciDevice] = field(default_factory=list)  # every device, any vendor
    run_installer_traces: list[str] = field(default_factory=list)  # non-empty lines
    manual_install: bool = False  # ubuntu-drivers: `manual_install: True`
    words: FrontEndWords = COMMAND_LINE  # how fixes name what to do: the reader's front end
