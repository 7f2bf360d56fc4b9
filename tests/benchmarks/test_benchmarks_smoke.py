"""Smoke tests: each benchmark runs in its quick form on tiny sizes and produces numbers.

Timings are never asserted (they belong to `python -m benchmarks`); the shapes are.
"""

from __future__ import annotations

import re
import shutil

import pytest

from benchmarks import __main__ as bench_main
from benchmarks import detection, flood, scaling, startup
from benchmarks.bundles import make_bundle
from benchmarks.flood_lines import flood_lines
from benchmarks.table import INFO, MET, MISSED, Row, format_table
from nvwizard.host.bundle import BundleHost
from nvwizard.report.build import build_report

NUMBER = re.compile(r"\d+(\.\d+)?")


def assert_numbers(rows: list[Row], section: str) -> None:
    assert rows, "no rows"
    for row in rows:
        assert row.section == section
        assert row.figure != "measurement failed", row.value
        assert NUMBER.search(row.value) or row.value.startswith(("no", "skipped", "n/a")), row
        assert row.verdict in (MET, MISSED, INFO)
    assert format_table(rows).count("\n") == len(rows) + 1


def test_startup_quick_gives_ratios_beside_the_minimal_app():
    rows = startup.measure(1)
    assert_numbers(rows, "start-up")
    ratios = [r for r in rows if "painted" in r.figure or "detection result" in r.figure]
    assert len(ratios) >= 2 and all(re.search(r"\) = \d+\.\d\dx$", r.value) for r in ratios)
    assert all("minimal app" in r.baseline for r in ratios)
    (phases,) = [r for r in rows if "by phase" in r.figure]
    shown = (
        r"Textual imported \d+ ms, its own modules \+\d+ ms, started to the first frame \+\d+ ms"
    )
    assert re.fullmatch(shown, phases.value), phases.value
    assert re.fullmatch(f"minimal app: {shown}", phases.baseline), phases.baseline


def test_detection_quick_on_the_demo_beside_a_bare_interpreter():
    rows = detection.measure(1, this_machine=False)
    assert_numbers(rows, "detection")
    assert "python -c pass" in rows[0].baseline
    textual = rows[-1]
    assert textual.figure == "detect --json imports Textual/Rich"
    assert textual.value == "no", textual.value  # the CLI path must stay free of Textual


def test_flood_quick_absorbs_every_line_and_keeps_it_on_disk():
    rows = flood.measure(3000, idle_keys=1)
    assert_numbers(rows, "log flood")
    absorbed = [r for r in rows if "lines absorbed" in r.figure]
    assert absorbed and all("lines/s" in r.value for r in absorbed)
    on_disk = [r for r in rows if "on disk" in r.figure]
    for row in on_disk:  # all 3,000 lines reached the journal on disk
        assert int(row.value.rsplit("/", 1)[1].replace(",", "")) >= 3000, row.value
    # RSS is read at the end of the flood and, apart, after `l` opened the full log
    assert any("RSS at the end of the flood" in r.figure for r in rows)
    assert any("after `l` opened the full log" in r.figure for r in rows)
    if shutil.which("tmux") and shutil.which("script"):
        assert any(r.figure.startswith("tmux: bytes written") for r in rows)


def test_scaling_quick_covers_both_axes():
    rows = scaling.measure(1, (1, 2), (24, 30))
    assert_numbers(rows, "scaling")
    figures = len(scaling.FIGURES)
    assert len(rows) == 2 * figures + 1
    assert all(r.value.startswith("1:") for r in rows[:figures])
    assert all(r.value.startswith("24:") for r in rows[figures : 2 * figures])
    assert "timeout" not in " ".join(r.value for r in rows)  # both screens answered
    assert rows[-1].figure.startswith("Purge screen, 30 packages against 24")


def test_synthetic_bundles_have_the_asked_gpus_and_packages(tmp_path):
    for gpus, packages in ((1, 0), (3, 40), (8, 300), (64, 3000)):
        report = build_report(
            BundleHost(make_bundle(tmp_path / f"{gpus}-{packages}", gpus, packages))
        )
        assert len(report.gpus) == gpus
        assert len({g.pci_address for g in report.gpus}) == gpus
        nvidia = [p for p in report.installed_packages if "nvidia" in p.name]
        assert len(nvidia) == packages


def test_superlinear_flags_quadratic_growth_only():
    xs = [1, 2, 4, 8]
    assert not scaling.superlinear(xs, [1.0, 2.0, 4.0, 8.0])
    assert not scaling.superlinear(xs, [1.0, 1.0, 1.01, 1.0])
    assert scaling.superlinear(xs, [1.0, 4.0, 16.0, 64.0])
    # growth no wider than the repeats' own spread is noise, not growth
    assert not scaling.superlinear(xs, [0.0010, 0.0011, 0.0012, 0.0019], noise=0.0004)
    assert scaling.superlinear(xs, [0.0010, 0.0011, 0.0012, 0.0019], noise=0.0001)


def test_flood_lines_are_exact_in_number_and_realistic():
    lines = list(flood_lines(2000))
    output = [line for line in lines if line.stream != "status"]
    assert len(output) == 2000
    texts = {line.text for line in output}
    assert any(t.startswith("Unpacking ") for t in texts)
    assert any(t.startswith("  CC [M]  /var/lib/dkms/nvidia/") for t in texts)
    assert any(line.text.startswith("pmstatus:") for line in lines if line.stream == "status")


def test_main_rejects_a_bad_size_with_one_line(capsys):
    assert bench_main.main(["--lines", "0"]) == 2
    assert capsys.readouterr().err.strip() == "benchmarks: --lines must be at least 1"


@pytest.mark.parametrize("argv", [["--only", "nothing"]])
def test_main_rejects_an_unknown_measurement(argv):
    with pytest.raises(SystemExit) as exit_info:
        bench_main.main(argv)
    assert exit_info.value.code == 2


def test_the_fake_gpu_machine_is_detected_with_its_gpu_and_asks_apt(tmp_path):
    """The "fake NVIDIA GPU" figures must time detection with a GPU, not this machine's."""
    import json
    import subprocess

    from benchmarks import fake_gpu
    from benchmarks.measure import REPO_ROOT, child_env, python_argv

    root = fake_gpu.make_root(tmp_path)
    done = subprocess.run(
        python_argv("-m", "benchmarks.fake_gpu", str(root)),
        cwd=REPO_ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout)
    assert [g["device_id"] for g in report["gpus"]] == ["27b8"]
    assert report["os"] and report["kernel"]  # the rest is this machine's own
    cases = detection.cases(tmp_path)
    assert [c.judged for c in cases].count("alone") == 2  # apt timed alone, cache off and on
