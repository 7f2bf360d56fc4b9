"""--no-persistenced on Debian: Debian's nvidia-persistenced package enables and starts its own
service, so leaving out the "Enable" step alone changed nothing. A headless plan leaves the
package out (only nvwizard names it: the libraries merely recommend it, and headless installs
take no recommendations; tests/debian_archive checks that against the real archive); a
desktop plan, whose metapackage recommends it, says plainly that it comes and runs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nvwizard.cli.main import main
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host

PERSISTENCED = "nvidia-persistenced"
DEBIAN_DEMOS = ["debian12-t4", "debian13-l4"]


def _plan(demo: str, **choices):
    report = build_report(demo_host(demo))
    return build_plan(report, replace(default_choices(report), **choices))


@pytest.mark.parametrize("demo", DEBIAN_DEMOS)
def test_a_headless_plan_without_persistenced_installs_no_persistenced(demo):
    plan = _plan(demo, headless=True, persistenced=False)
    assert PERSISTENCED not in plan.install_list
    assert plan.step("persistenced") is None
    verify = plan.step("verify")
    assert verify is not None and PERSISTENCED not in verify.commands[0]


@pytest.mark.parametrize("demo", DEBIAN_DEMOS)
def test_a_headless_plan_with_persistenced_installs_and_enables_it(demo):
    plan = _plan(demo, headless=True, persistenced=True)
    assert PERSISTENCED in plan.install_list
    assert plan.step("persistenced") is not None


@pytest.mark.parametrize("demo", DEBIAN_DEMOS)
def test_a_desktop_plan_without_persistenced_says_it_comes_and_runs(demo):
    plan = _plan(demo, headless=False, persistenced=False)
    said = [w for w in plan.warnings if PERSISTENCED in w]
    assert len(said) == 1
    assert "enables and starts its service itself" in said[0]
    assert f"systemctl disable --now {PERSISTENCED}" in said[0]
    assert not [
        w for w in _plan(demo, headless=False, persistenced=True).warnings if PERSISTENCED in w
    ]


def test_the_command_line_option_reaches_the_package_list(capsys, places):
    assert main(["plan", "--demo", "debian13-l4", "--no-persistenced", "--json"]) == 0
    without = capsys.readouterr().out
    assert main(["plan", "--demo", "debian13-l4", "--json"]) == 0
    default = capsys.readouterr().out
    assert f'"{PERSISTENCED}"' not in without
    assert f'"{PERSISTENCED}"' in default  # on by default on a headless server
