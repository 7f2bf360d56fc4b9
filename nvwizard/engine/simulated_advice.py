"""What to do after an apply on a simulated machine stopped, in the commands that reach it.

The engine's diagnoses speak to a real machine (`dpkg --configure -a`, `apt-mark unhold`); an
apply on a demo or a bundle must not send anyone to this computer's dpkg. The outcome it
records (the journal that `logs` replays, `install --json`) says instead: on a demo, the failed
step's "if it fails", which the plan already gives in the demo's own commands
(plan/demo_words.py); on a bundle, that nothing was kept and where to start again
(host/bundle_advice.py). An activation's guard says its own words and is left as it is.
A cancelled install on this machine names the install to run again, as `status` does.
"""

from __future__ import annotations

from nvwizard.host.base import Host
from nvwizard.host.bundle_advice import after_bundle_failure, bundle_dir
from nvwizard.host.demo_advice import demo_of
from nvwizard.plan import models as pm
from nvwizard.plan.install_options import install_here
from nvwizard.plan.models import Plan, Step


def stopped_advice(host: Host, plan: Plan, step: Step | None) -> str | None:
    """The next action after `plan` stopped at `step` (failed; None: cancelled) on `host`;
    None where the engine's own words stand (this machine, an activation)."""
    if plan.purpose == pm.ACTIVATE_PLAN:
        return None
    if demo_of(host) is not None:
        return step.on_failure if step is not None else None
    folder = bundle_dir(host.label) if host.kind == "bundle" else None
    return (
        after_bundle_failure(folder, plan.driver or None, plan.install_options) if folder else None
    )


def cancelled_advice(host: Host, plan: Plan) -> str:
    """The next action after `plan` was cancelled on `host`: on this machine, the install
    again with the options the user gave it; a demo's and a bundle's words as they were."""
    simulated = stopped_advice(host, plan, None)
    if simulated:
        return simulated
    again = install_here(plan.purpose, plan.driver, plan.install_options) if host.is_real else None
    said = f"`{again}` again" if again else "the install again"
    return f"Run {said} to finish the remaining steps."
