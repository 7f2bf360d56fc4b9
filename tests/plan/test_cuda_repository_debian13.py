"""NVIDIA's CUDA repository for Debian 13 was added with the 590 driver (CUDA 13.1): it has no
CUDA 12.x toolkit, yet `plan --demo debian13-l4 --cuda latest` planned cuda-toolkit-12-2 from it
(the demo's index offered it too), an install apt cannot find."""

from dataclasses import replace

import pytest

from nvwizard.errors import RefusedError
from nvwizard.knowledge import cuda
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.cuda_toolkit import known_toolkits
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host
from nvwizard.simulator.repositories import cuda_stanzas

TRIXIE = cuda.repository_release("debian", "13")


def _index_toolkits() -> set[str]:
    names = [s.split("\n", 1)[0].removeprefix("Package: ") for s in cuda_stanzas(TRIXIE)]
    return {n for n in names if n.startswith("cuda-toolkit-")}


def test_the_debian13_repository_has_no_cuda_12():
    assert TRIXIE is not None
    assert not cuda.in_repository(TRIXIE, "12.2") and not cuda.in_repository(TRIXIE, "12.9")
    assert cuda.in_repository(TRIXIE, "13.1")
    assert "cuda-toolkit-12-2" not in _index_toolkits()
    assert "cuda-toolkit-13-1" in _index_toolkits()


def test_trixie_is_offered_only_what_the_repository_has():
    known = known_toolkits(build_report(demo_host("debian13-l4")))
    assert known and all(cuda.in_repository(TRIXIE, v) for v in known)
    assert "12.2" not in known


def _planned_toolkits(report, driver: str, wanted: str) -> list[str]:
    choices = replace(
        default_choices(report, driver), cuda=wanted, allow_cuda_compat=True, purge=False
    )
    try:
        plan = build_plan(report, choices)
    except RefusedError:
        return []
    return [p for p in plan.stack_list if p.startswith("cuda-toolkit-")]


@pytest.mark.parametrize("driver", [None, "nvidia-driver", "nvidia-tesla-535-driver"])
def test_no_plan_on_trixie_names_a_toolkit_the_repository_lacks(driver):
    report = build_report(demo_host("debian13-l4"))
    index = _index_toolkits()
    for wanted in ["latest", *[t.version for t in cuda.TOOLKITS]]:
        for package in _planned_toolkits(report, driver or report.recommended_driver, wanted):
            assert package in index, (driver, wanted, package)


def test_latest_on_trixies_535_driver_is_refused_not_cuda_12_2():
    report = build_report(demo_host("debian13-l4"))
    with pytest.raises(RefusedError):
        build_plan(report, replace(default_choices(report), cuda="latest"))
    with pytest.raises(RefusedError) as refused:
        build_plan(report, replace(default_choices(report), cuda="12.2", allow_cuda_compat=True))
    assert "begins with CUDA 13.1" in str(refused.value)


def test_install_with_latest_on_trixie_stops_before_anything_runs(capsys):
    from nvwizard.cli.main import main

    code = main(["install", "--demo", "debian13-l4", "--yes", "--cuda", "latest"])
    out, err = capsys.readouterr()
    assert code == 3 and "cuda-toolkit-12-2" not in out + err
    assert "no CUDA toolkit runs on driver branch 535" in err


def test_the_distribution_toolkit_refused_on_trixie_does_not_send_the_user_to_latest():
    """`--cuda distro` on trixie's 535 said "choose --cuda latest", which is refused there (no
    toolkit of NVIDIA's repository runs on 535): each refusal pointed at the other."""
    report = build_report(demo_host("debian13-l4"))
    with pytest.raises(RefusedError) as distro:
        build_plan(report, replace(default_choices(report, None), cuda="distro"))
    assert "--cuda latest" not in str(distro.value)
    assert "choose a newer driver (or add --allow-cuda-compat to accept it)" in str(distro.value)
    with pytest.raises(RefusedError) as latest:
        build_plan(report, replace(default_choices(report, None), cuda="latest"))
    assert "--cuda distro" in str(latest.value)
