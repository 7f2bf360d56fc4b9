import threading

from nvwizard.engine import events as ev
from nvwizard.engine.runner import CANCELLED, COMMAND_ENV, DONE, FAILED, Engine
from nvwizard.plan import models as pm
from nvwizard.plan.models import Choices, Plan, Step
from tests.engine.fakehost import FakeHost, Script


def make_plan(*steps: Step) -> Plan:
    return Plan(
        steps=list(steps),
        choices=Choices(driver="nvidia-driver-580-server-open"),
        host_label="fake host",
        driver="nvidia-driver-580-server-open",
        flavour="580-server-open",
        branch=580,
        modules="signed",
    )


def step(step_id: str, kind: str, *commands: list[str], changes: bool = True) -> Step:
    return Step(
        id=step_id,
        title=step_id.title(),
        why="because",
        commands=list(commands),
        changes_system=changes,
        on_failure="stop",
        kind=kind,
    )


UPDATE = step("update", pm.UPDATE, ["apt-get", "update"])
INSTALL = step("install", pm.INSTALL, ["apt-get", "install", "-y", "nvidia-utils-580"])
VERIFY = step(
    "verify",
    pm.VERIFY,
    ["dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\n", "nvidia-utils-580"],
    changes=False,
)


def test_events_come_in_order_with_output_and_progress():
    host = FakeHost(
        {
            ("apt-get", "install"): Script(
                [
                    ("stdout", "Reading package lists..."),
                    ("status", "pmstatus:nvidia-utils-580:amd64:42.5:Unpacking nvidia-utils-580"),
                    ("stderr", "W: a warning"),
                ]
            ),
            ("dpkg-query",): Script([("stdout", "nvidia-utils-580\tii \t580.95")]),
        }
    )
    seen: list[ev.Event] = []
    engine = Engine(host, make_plan(UPDATE, INSTALL, VERIFY), listeners=[seen.append])
    outcome = engine.run()

    assert outcome.status == DONE and outcome.reboot_required
    assert [(e.kind, e.step) for e in seen] == [
        (ev.PLAN_STARTED, None),
        (ev.STEP_STARTED, "update"),
        (ev.STEP_FINISHED, "update"),
        (ev.STEP_STARTED, "install"),
        (ev.OUTPUT, "install"),
        (ev.PROGRESS, "install"),
        (ev.OUTPUT, "install"),
        (ev.STEP_FINISHED, "install"),
        (ev.STEP_STARTED, "verify"),
        (ev.OUTPUT, "verify"),
        (ev.STEP_FINISHED, "verify"),
        (ev.PLAN_FINISHED, None),
    ]
    progress = seen[5]
    assert progress.percent == 42.5 and progress.text == "Unpacking nvidia-utils-580"
    assert (seen[6].stream, seen[6].lines) == ("stderr", ("W: a warning",))
    assert seen[3].argv == (("apt-get", "install", "-y", "nvidia-utils-580"),)
    assert seen[-1].outcome.status == "done"


def test_lines_that_arrive_together_are_one_event_per_stream_in_their_order(tmp_path):
    """A flood costs one event per read burst and stream, not one per line; a change of
    stream still splits the lines where it was, apt's latest percent of a burst follows the
    burst's lines, and the journal keeps every line in order."""
    from nvwizard.engine.journal import Journal, read_events

    lines = [
        ("stdout", "Unpacking a ..."),
        ("stdout", "Unpacking b ..."),
        ("stderr", "W: a warning"),
        ("stdout", "Setting up a ..."),
        ("status", "pmstatus:a:amd64:40.0:Unpacking b"),
        ("status", "pmstatus:a:amd64:50.0:Configuring a"),
        ("stdout", "Setting up b ..."),
        ("stdout", "Processing triggers ..."),
        ("stdout", "done"),  # the second read: alone
    ]
    host = FakeHost({("apt-get", "install"): Script(lines, burst_sizes=[8, 1])})
    journal = Journal(tmp_path / "log", tmp_path / "state")
    seen: list[ev.Event] = []
    engine = Engine(host, make_plan(INSTALL), journal=journal, listeners=[seen.append])
    engine.run()
    journal.close()

    install = [e for e in seen if e.step == "install" and e.kind in (ev.OUTPUT, ev.PROGRESS)]
    assert [(e.kind, getattr(e, "stream", None), getattr(e, "lines", None)) for e in install] == [
        (ev.OUTPUT, "stdout", ("Unpacking a ...", "Unpacking b ...")),
        (ev.OUTPUT, "stderr", ("W: a warning",)),
        (ev.OUTPUT, "stdout", ("Setting up a ...", "Setting up b ...", "Processing triggers ...")),
        (ev.PROGRESS, None, None),
        (ev.OUTPUT, "stdout", ("done",)),
    ]
    assert install[3].percent == 50.0 and install[3].text == "Configuring a"
    replayed = [
        line for e in read_events(journal.events_path) if e.kind == ev.OUTPUT for line in e.lines
    ]
    assert replayed == [text for stream, text in lines if stream != "status"]
    human = journal.log_path.read_text().splitlines()
    printed = [text for stream, text in lines if stream != "status"]
    assert [line for line in human if line in printed] == printed


def test_every_command_gets_the_noninteractive_environment_as_an_argv_list():
    host = FakeHost()
    Engine(host, make_plan(UPDATE, INSTALL)).run()
    assert host.argvs == [["apt-get", "update"], ["apt-get", "install", "-y", "nvidia-utils-580"]]
    for _, env in host.started:
        assert env == COMMAND_ENV
    assert COMMAND_ENV == {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C.UTF-8"}


def test_a_failed_maintainer_script_stops_with_the_package_state_and_the_repair():
    host = FakeHost(
        {
            ("apt-get", "install"): Script(
                [
                    ("stdout", "Setting up nvidia-dkms-580 (580.95) ..."),
                    ("stdout", "Building for 6.8.0-40-generic"),
                    ("stderr", "E: Sub-process /usr/bin/dpkg returned an error code (1)"),
                ],
                exit_code=100,
            ),
            ("dpkg-query",): Script(
                [
                    ("stdout", "nvidia-dkms-580\tiF \t580.95"),
                    ("stdout", "nvidia-driver-580\tiU \t580.95"),
                    ("stdout", "bash\tii \t5.2"),
                ]
            ),
        }
    )
    seen: list[ev.Event] = []
    engine = Engine(host, make_plan(UPDATE, INSTALL, VERIFY), listeners=[seen.append])
    outcome = engine.run()

    assert outcome.status == FAILED and outcome.failed_step == "install"
    assert [(b.name, b.state) for b in outcome.broken_packages] == [
        ("nvidia-dkms-580", "iF"),
        ("nvidia-driver-580", "iU"),
    ]
    assert "nvidia-dkms-580 (half-configured)" in outcome.message
    assert outcome.repair == ("dpkg", "--configure", "-a")
    assert "E: Sub-process /usr/bin/dpkg returned an error code (1)" in outcome.last_lines
    # the verify step never ran
    assert not any(e.step == "verify" for e in seen)
    finished = [e for e in seen if e.kind == ev.STEP_FINISHED]
    assert finished[-1].ok is False and finished[-1].exit_code == 100
    assert seen[-1].outcome.failed_step == "install"
    assert seen[-1].outcome.repair == ("dpkg", "--configure", "-a")


def test_a_lock_timeout_names_the_holder_and_offers_no_repair():
    host = FakeHost(
        {
            ("apt-get", "update"): Script(
                [
                    (
                        "stderr",
                        "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by "
                        "process 812 (unattended-upgr)",
                    ),
                    ("stderr", "E: Unable to acquire the dpkg frontend lock"),
                ],
                exit_code=100,
            )
        }
    )
    outcome = Engine(host, make_plan(UPDATE, INSTALL)).run()
    assert outcome.status == FAILED and outcome.failed_step == "update"
    assert "process 812 (unattended-upgr)" in outcome.message
    assert outcome.repair is None
    assert not outcome.reboot_required


def test_a_missing_command_is_a_failed_step_not_a_crash():
    class MissingHost(FakeHost):
        def start(self, argv, env=None):
            raise FileNotFoundError(2, "No such file or directory")

    outcome = Engine(MissingHost(), make_plan(UPDATE)).run()
    assert outcome.status == FAILED
    assert "cannot run apt-get" in outcome.last_lines[-1]


def test_preflight_fails_when_dpkg_audit_reports_packages():
    preflight = step("preflight", pm.PREFLIGHT, ["dpkg", "--audit"], changes=False)
    host = FakeHost(
        {
            ("dpkg", "--audit"): Script(
                [("stdout", "The following packages are only half configured, probably due to")],
                exit_code=1,
            )
        }
    )
    outcome = Engine(host, make_plan(preflight, UPDATE)).run()
    assert outcome.status == FAILED and outcome.failed_step == "preflight"
    assert outcome.repair == ("dpkg", "--configure", "-a")
    assert ["apt-get", "update"] not in host.argvs


def test_verify_fails_when_a_package_is_not_installed():
    host = FakeHost(
        {
            ("dpkg-query", "-W", "-f=${Package}\\t${db:Status-Abbrev}\\n"): Script(
                [("stdout", "nvidia-utils-580\tiU \t580.95")]
            )
        }
    )
    outcome = Engine(host, make_plan(VERIFY)).run()
    assert outcome.status == FAILED
    assert "nvidia-utils-580 (iU)" in outcome.message


def test_cancel_lets_the_running_step_finish_then_stops():
    release = threading.Event()
    running = threading.Event()

    def slow_install():
        running.set()
        assert release.wait(10)

    host = FakeHost(
        {("apt-get", "install"): Script([("stdout", "Setting up x")], on_start=slow_install)}
    )
    seen: list[ev.Event] = []
    engine = Engine(host, make_plan(UPDATE, INSTALL, VERIFY), listeners=[seen.append])
    result = {}
    worker = threading.Thread(target=lambda: result.update(outcome=engine.run()))
    worker.start()
    assert running.wait(10)
    engine.cancel()
    assert worker.is_alive()  # cancel does not interrupt the running step
    release.set()
    worker.join(10)

    outcome = result["outcome"]
    assert outcome.status == CANCELLED
    assert outcome.steps_done == ("update", "install")
    install_end = [e for e in seen if e.kind == ev.STEP_FINISHED and e.step == "install"]
    assert install_end and install_end[0].ok is True
    assert not any(e.step == "verify" for e in seen)
    assert seen[-1].outcome.status == "cancelled"


def test_apt_waiting_for_the_lock_becomes_a_countdown_not_a_flood_of_lines():
    wait = (
        "Waiting for cache lock: Could not get lock /var/lib/dpkg/lock-frontend. "
        "It is held by process 812 (unattended-upgr)..."
    )
    host = FakeHost(
        {
            ("apt-get", "-o", "DPkg::Lock::Timeout=60", "update"): Script(
                [("stdout", wait)] * 5 + [("stdout", "Reading package lists...")]
            )
        }
    )
    update = step("update", pm.UPDATE, ["apt-get", "-o", "DPkg::Lock::Timeout=60", "update"])
    seen: list[ev.Event] = []
    engine = Engine(host, make_plan(update), listeners=[seen.append])
    assert engine.run().status == DONE
    lines = [line for e in seen if e.kind == ev.OUTPUT for line in e.lines]
    assert lines == [wait, "Reading package lists..."]
    countdown = [e for e in seen if e.kind == ev.PROGRESS]
    assert len(countdown) == 4
    assert all(c.phase == "lock-wait" for c in countdown)
    assert countdown[0].text.startswith(
        "waiting for the lock held by process 812 (unattended-upgr): "
    )
    assert countdown[0].text.endswith(" s left")


def test_preflight_names_the_lock_holder_before_apt_waits_for_it():
    preflight = step("preflight", pm.PREFLIGHT, ["dpkg", "--audit"], changes=False)
    host = FakeHost(
        sources={
            "dpkg-lock.txt": "1532\tunattended-upgr\t/var/lib/dpkg/lock-frontend\n"
            "1532\tunattended-upgr\t/var/lib/dpkg/lock\n"
        }
    )
    seen: list[ev.Event] = []
    engine = Engine(host, make_plan(preflight), listeners=[seen.append])
    assert engine.run().status == DONE
    lines = [line for e in seen if e.kind == ev.OUTPUT for line in e.lines]
    assert lines == [
        "nvwizard: the package manager lock is held by unattended-upgr (pid 1532); "
        "apt waits up to 300 s for it"
    ]


def test_verify_accepts_held_packages_and_refuses_an_error_flag():
    host = FakeHost(
        {
            ("dpkg-query",): Script(
                [("stdout", "nvidia-utils-580\thi \t580.95"), ("stdout", "libfoo\tiiR\t1")]
            )
        }
    )
    outcome = Engine(host, make_plan(VERIFY)).run()
    assert outcome.status == FAILED
    assert "libfoo (iiR)" in outcome.message and "nvidia-utils-580" not in outcome.message


class ThisMachine(FakeHost):
    kind = "local"
    label = "this machine"


def _cancelled_at_once(host: FakeHost, plan: Plan):
    engine = Engine(host, plan)
    engine.cancel()
    return engine.run()


def test_a_cancelled_install_on_this_machine_names_the_install_to_run_again():
    """It said "Run the install again" and named no command (`status` names it)."""
    plan = make_plan(UPDATE, INSTALL, VERIFY)
    plan.install_options = ["--cuda", "12.8", "--keep-installed"]
    outcome = _cancelled_at_once(ThisMachine(), plan)
    assert outcome.status == CANCELLED
    assert outcome.next_action == (
        "Run `sudo nvwizard install --driver nvidia-driver-580-server-open --cuda 12.8 "
        "--keep-installed` again to finish the remaining steps."
    )


def test_a_cancelled_apply_elsewhere_or_of_no_install_keeps_the_plain_words():
    plain = "Run the install again to finish the remaining steps."
    assert _cancelled_at_once(FakeHost(), make_plan(UPDATE, INSTALL)).next_action == plain
    repair = make_plan(UPDATE, INSTALL)
    repair.purpose = pm.REPAIR_PLAN
    assert _cancelled_at_once(ThisMachine(), repair).next_action == plain
