"""Debian's real package graph for nvwizard's Debian plans, recorded and checked.

- archive.py: fetch Debian's Packages indices, parse and trim their stanzas, and a throw-away
  apt root (real `apt-get -s`, no dpkg) that resolves against a set of indices;
- record.py: from the full indices, the small subset every Debian plan needs (the plans'
  dependency closure on top of a base server system), written to tests/debian_archive/<release>/;
- plans.py: the Debian plans nvwizard builds, per release, kernel flavour, driver and kind;
- test_resolution.py: every plan resolved offline against the recorded subset;
- test_refresh.py: the subsets recorded again from deb.debian.org and compared (skipped when
  the archive cannot be reached).

`python scripts/debian_indices.py` records the subsets again and rewrites the Debian demos'
package data from them.
"""
