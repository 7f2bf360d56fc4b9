"""NVIDIA's CUDA repository for Debian 12 begins with CUDA 12.3 (its debian12/x86_64 index has
no cuda-toolkit-11-8 or 12-0 to 12-2): nvwizard offered those there, starred 12.2 for
bookworm's 535 driver, and `--cuda 12.2` planned an install apt cannot find."""

import pytest

from nvwizard.errors import RefusedError
from nvwizard.knowledge import cuda
from nvwizard.plan.build import build_plan, default_choices
from nvwizard.plan.cuda_toolkit import cuda_options, known_toolkits
from nvwizard.report.build import build_report
from nvwizard.simulator import demo_host


def test_the_debian12_repository_starts_at_12_3():
    release = cuda.repository_release("debian", "12")
    assert not cuda.in_repository(release, "12.2")
    assert cuda.in_repository(release, "12.3") and cuda.in_repository(release, "13.0")
    ubuntu = cuda.repository_release("ubuntu", "22.04")
    assert cuda.in_repository(ubuntu, "11.8")
    assert not cuda.in_repository(cuda.repository_release("ubuntu", "20.04"), "13.0")


def test_bookworm_is_offered_only_what_the_repository_has():
    report = build_report(demo_host("debian12-t4"))
    known = known_toolkits(report)
    assert known[0] == "12.3" and "12.2" not in known and "11.8" not in known
    # branch 535 runs 12.2 natively: none of NVIDIA's debian12 toolkits is native
    assert not any(o.allowed for o in cuda_options(report, 535))


@pytest.mark.parametrize("version", ["11.8", "12.0", "12.2"])
def test_a_release_the_repository_lacks_is_refused_before_anything_runs(version):
    report = build_report(demo_host("debian12-t4"))
    choices = default_choices(report)
    from dataclasses import replace

    with pytest.raises(RefusedError) as refused:
        build_plan(report, replace(choices, cuda=version, allow_cuda_compat=True))
    assert "begins with CUDA 12.3" in str(refused.value)


def test_the_demos_repository_index_has_what_nvidia_has():
    from nvwizard.simulator.repositories import cuda_stanzas

    names = {s.split("\n", 1)[0] for s in cuda_stanzas(cuda.repository_release("debian", "12"))}
    assert "Package: cuda-toolkit-12-3" in names
    assert "Package: cuda-toolkit-12-2" not in names
