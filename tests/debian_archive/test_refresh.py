"""The recorded subsets against Debian's archive as it is today.

Fetches the current indices from deb.debian.org and security.debian.org, records the subset
again for the demo machine's own kernel flavour (about half a minute per release: apt
resolving each plan against the whole archive), and compares with what tests/debian_archive
holds: the kernels, every driver-family package version of each suite, and what apt answers
for each plan. When the archive has moved (a security update of the driver, a new kernel ABI),
this fails and says so: record again with `python scripts/debian_indices.py` and review the
diff. Skipped, with the reason, when the archive cannot be reached.
"""

from __future__ import annotations

import shutil
import urllib.error

import pytest

from nvwizard.knowledge import debian
from tests.debian_archive.archive import fetch_suite, parse_index, suites
from tests.debian_archive.record import SPECS, record, recorded

RECORD_AGAIN = "the archive moved: record again with `python scripts/debian_indices.py`"


def _fetch(codename: str) -> dict[str, str]:
    try:
        return {suite: fetch_suite(suite, base) for suite, base in suites(codename)}
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        pytest.skip(f"Debian's archive cannot be reached ({reason}): recorded subsets not checked")


def _family(indices: dict[str, str]) -> dict[str, list[str]]:
    """suite -> sorted `package version` of every driver-family package."""
    return {
        suite: sorted(
            f"{s.package} {s.version}"
            for s in parse_index(text)
            if debian.is_family_part(s.package)
        )
        for suite, text in indices.items()
    }


@pytest.mark.parametrize("codename", list(SPECS))
def test_recorded_subset_is_what_debians_archive_offers_today(codename, tmp_path):
    if shutil.which("apt-get") is None:
        pytest.skip("recording Debian's indices needs apt-get")
    spec = SPECS[codename]
    full = _fetch(codename)
    live = record(spec, full, tmp_path, flavours=[spec.running_flavour])
    kept = recorded(codename)
    differences = []
    if live.kernels != kept.kernels:
        differences.append(f"kernels: recorded {kept.kernels}, today {live.kernels}")
    old_family, new_family = _family(kept.indices), _family(live.indices)
    for suite in new_family:
        gone = sorted(set(old_family.get(suite, [])) - set(new_family[suite]))
        new = sorted(set(new_family[suite]) - set(old_family.get(suite, [])))
        if gone or new:
            differences.append(f"{suite}: no longer {gone}, new {new}")
    for key, outcome in live.outcomes.items():
        if kept.outcomes.get(key) != outcome:
            differences.append(f"{key}: recorded {kept.outcomes.get(key)!r}, today {outcome!r}")
    if live.evidence != kept.evidence:
        differences.append(f"open-module evidence: recorded {kept.evidence}, today {live.evidence}")
    assert not differences, RECORD_AGAIN + "\n" + "\n".join(differences)


def test_an_unreachable_archive_skips_with_the_reason(monkeypatch):
    def offline(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("urllib.request.urlopen", offline)
    with pytest.raises(pytest.skip.Exception, match="Debian's archive cannot be reached"):
        _fetch("trixie")
