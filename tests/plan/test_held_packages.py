"""Which held packages stopped apt's resolver, read from its real output (apt 2.6, recorded in
the apt sandbox): the purge simulation's packages dragged along that apt refused to take."""

from nvwizard.plan.held_packages import held_in_the_way
from nvwizard.plan.simulate import parse_simulation

PURGE_OVER_A_HELD_DRIVER = """\
Reading package lists...
Building dependency tree...
Reading state information...
Some packages could not be installed. This may mean that you have
requested an impossible situation or if you are using the unstable
distribution that some required packages have not yet been created
or been moved out of Incoming.
The following information may help to resolve the situation:

The following packages have unmet dependencies:
 nvidia-driver-535-server : Depends: nvidia-kernel-common-535-server but it is not going to be installed
                            Depends: nvidia-dkms-535-server but it is not going to be installed or
                                     nvidia-kernel-535-server
 nvidia-fabricmanager-535 : Depends: nvidia-kernel-common-535-server (>= 535.247.01) but it is not going to be installed
E: Error, pkgProblemResolver::Resolve generated breaks, this may be caused by held packages.
"""  # noqa: E501

UNMET_WITHOUT_HOLDS = """\
The following packages have unmet dependencies:
 nvidia-driver-580 : Depends: nvidia-utils-580 but it is not installable
E: Unable to correct problems, you have held broken packages.
"""


def test_the_held_packages_are_the_ones_apt_lists_when_it_gave_up_over_holds():
    assert held_in_the_way(PURGE_OVER_A_HELD_DRIVER) == [
        "nvidia-driver-535-server",
        "nvidia-fabricmanager-535",
    ]
    result = parse_simulation(PURGE_OVER_A_HELD_DRIVER, ["apt-get", "-s", "purge", "x"], 100)
    assert result.held == ["nvidia-driver-535-server", "nvidia-fabricmanager-535"]
    assert result.remove == {} and not result.ok


def test_other_unmet_dependencies_name_no_held_package():
    """apt's "held broken packages" is its generic unmet-dependencies error, not a hold."""
    assert held_in_the_way(UNMET_WITHOUT_HOLDS) == []
    assert held_in_the_way("") == []
