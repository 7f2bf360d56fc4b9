"""Each finding's fix speaks one front end's words: the command line's options and commands
(`nvwizard detect`, the plan, the export), or the wizard's screens and keys (its Detect
screen) -- never both in one text ("`nvwizard activate` checks; in the wizard: Load it now")."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nvwizard.host.demo import DEMOS
from nvwizard.report import findings as f
from nvwizard.report.build import build_report
from nvwizard.report.facts import ExtraFacts
from nvwizard.report.wording import COMMAND_LINE, WIZARD
from nvwizard.simulator import demo_host
from tests.report.test_demo_findings import demo_bundle
from tests.report.test_stack import DPKG

from .helpers import TODAY, gpu, report

RTX3090 = gpu("2204", "GA102 [GeForce RTX 3090]")
# what only the command line has, and what only the wizard has
CLI_ONLY = ("--activate", "--desktop", "--cudnn", "--container-toolkit", "--cuda", "nvwizard plan")
WIZARD_ONLY = ("in the wizard", "Load it now", "on Select", "on Stack", "on Purge", "opens Verify")


def spoken(fixes: list[str], words) -> None:
    other = CLI_ONLY if words is WIZARD else WIZARD_ONLY
    for fix in fixes:
        assert not [w for w in other if w in fix], fix
        assert "in the wizard" not in fix and "nvwizard activate` checks;" not in fix, fix


def fixes_of(host, words) -> list[str]:
    return [x.fix for x in build_report(host, TODAY, words=words).findings]


@pytest.mark.parametrize("words", [COMMAND_LINE, WIZARD], ids=["command-line", "wizard"])
@pytest.mark.parametrize("name", [d.name for d in DEMOS])
def test_every_demo_s_findings_speak_one_front_end(name, words, monkeypatch):
    monkeypatch.delenv("NVWIZARD_STATE_DIR", raising=False)
    spoken(fixes_of(demo_host(name), words), words)


def test_each_front_end_names_its_own_way_to_each_fix(tmp_path):
    machine = report(gpus=[RTX3090], over_ssh=True, nouveau_loaded=True, headless=None)
    cli = {x.id: x.fix for x in f.find_all(machine)}
    wizard = {x.id: x.fix for x in f.find_all(machine, ExtraFacts(words=WIZARD))}
    assert cli["nouveau-loaded"].endswith("(`nvwizard activate` checks).")
    assert wizard["nouveau-loaded"].endswith("(Load it now, on the Reboot screen, checks).")
    assert cli["headless-unknown"] == "Plan with --desktop if it has a desktop."
    assert wizard["headless-unknown"] == "If it has a desktop, untick Headless on Select."
    assert cli["over-ssh"].endswith("run `nvwizard verify`.")
    assert wizard["over-ssh"].endswith("run `sudo nvwizard` (it opens Verify).")
    spoken(list(cli.values()), COMMAND_LINE)
    spoken(list(wizard.values()), WIZARD)

    # the developer stack's: cuDNN, the container toolkit, a toolkit newer than the driver
    dpkg = DPKG.replace(
        "cuda-toolkit-12-8\tinstall ok installed\t12.8.1-1",
        "cuda-toolkit-13-0\tinstall ok installed\t13.0.2-1",
    )
    host = demo_bundle(tmp_path, **{"dpkg-query.txt": dpkg})
    stack = {x.id: x.fix for x in build_report(host, TODAY, words=WIZARD).findings}
    assert stack["cuda-toolkit-newer-than-driver"] == (
        "Install driver branch 580 or newer (choose it on Select), or a toolkit the driver "
        "supports (the Stack screen shows which)."
    )
    assert stack["container-toolkit-not-configured"].startswith(
        "Tick Container toolkit on Stack: the install wires it in. On a real machine: "
    )
    spoken(list(stack.values()), WIZARD)
    spoken(fixes_of(host, COMMAND_LINE), COMMAND_LINE)


def test_a_demo_s_over_ssh_fix_names_what_opens_verify_there(monkeypatch):
    """On a demo, `nvwizard --demo NAME` never opens Verify at its start (only a real
    machine's state file does): the wizard's words said "(it opens Verify)" there too."""
    monkeypatch.delenv("NVWIZARD_STATE_DIR", raising=False)
    host = demo_host("rtx3090-fresh")
    for words in (COMMAND_LINE, WIZARD):
        machine = build_report(host, TODAY, words=words)
        fix = next(
            x.fix
            for x in f.find_all(replace(machine, over_ssh=True), ExtraFacts(words=words))
            if x.id == "over-ssh"
        )
        assert "run `nvwizard verify --demo rtx3090-fresh`" in fix
        assert "(it opens Verify)" not in fix and "`nvwizard --demo" not in fix.split("(")[0]
