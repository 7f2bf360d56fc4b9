"""Record Debian's package indices again for nvwizard's Debian tests and demos.

    python scripts/debian_indices.py                 # bookworm and trixie
    python scripts/debian_indices.py trixie          # one release
    python scripts/debian_indices.py --no-demos      # leave the demo machines alone

Fetches the amd64 Packages indices of <release>, <release>-updates and <release>-security
(main, contrib, non-free, non-free-firmware) from deb.debian.org and security.debian.org,
resolves every Debian plan of the release's demo machine against them with the real
`apt-get -s` (tests/debian_archive/record.py), and writes the subset those plans need to
tests/debian_archive/<release>/. Then rewrites the demo machine's package data (what apt
offers, what is installed, the running kernel) from that subset. Needs apt-get and network;
about a minute. Run it when tests/debian_archive/test_refresh.py says the archive moved.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.debian_archive.archive import fetch_suite, suites  # noqa: E402
from tests.debian_archive.record import HERE, SPECS, record, write_demo  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("releases", nargs="*", metavar="RELEASE", help=", ".join(SPECS))
    parser.add_argument("--no-demos", action="store_true", help="do not rewrite the demos")
    args = parser.parse_args(argv)
    unknown = [r for r in args.releases if r not in SPECS]
    if unknown:
        parser.error(f"unknown release {unknown[0]!r}; choose from {', '.join(SPECS)}")
    for codename in args.releases or list(SPECS):
        spec = SPECS[codename]
        print(f"{codename}: fetching", flush=True)
        full = {suite: fetch_suite(suite, base) for suite, base in suites(codename)}
        with tempfile.TemporaryDirectory() as work:
            data = record(spec, full, Path(work))
        data.write(HERE / codename)
        size = sum(len(t) for t in data.indices.values())
        print(f"{codename}: {size // 1024} KiB of stanzas, kernels {data.kernels}")
        for key, outcome in sorted(data.outcomes.items()):
            print(f"  {key}: {outcome}")
        if not args.no_demos:
            write_demo(spec, data)
            print(f"{codename}: demo {spec.demo} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
