"""Old applies do not pile up: keep the newest KEEP_APPLIES, remove older ones at each start.

Each detached apply leaves `<state dir>/applies/<run id>/` (its plan and start hand-shake) and
`<log dir>/worker-<run id>.out` (the worker's own stdout and stderr). Run ids begin with a
timestamp (`20261127-141003-a1b2c3`), so their names sort by age. Only names in that exact
form are ever touched, and never the running apply's (the apply lock's holder) or the ones
the caller names. The journals (`apply-*.log`, `apply-*.jsonl`) are the machine's record of
what changed and are kept.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path

from nvwizard.engine import paths
from nvwizard.engine.lock import current_holder

KEEP_APPLIES = 10
APPLIES_DIR = "applies"
_RUN_ID_RE = re.compile(r"^\d{8}-\d{6}-[0-9a-f]+$")
_WORKER_OUT_RE = re.compile(r"^worker-(\d{8}-\d{6}-[0-9a-f]+)\.out$")


def _run_dirs(state_dir: Path) -> dict[str, Path]:
    try:
        entries = list((state_dir / APPLIES_DIR).iterdir())
    except OSError:
        return {}
    return {p.name: p for p in entries if p.is_dir() and _RUN_ID_RE.match(p.name)}


def _worker_outputs(log_dir: Path) -> dict[str, Path]:
    try:
        entries = list(log_dir.iterdir())
    except OSError:
        return {}
    found = {}
    for path in entries:
        match = _WORKER_OUT_RE.match(path.name)
        if match and path.is_file():
            found[match.group(1)] = path
    return found


def prune_old_applies(
    state_dir: Path | None = None,
    log_dir: Path | None = None,
    keep: int = KEEP_APPLIES,
    protect: Iterable[str] = (),
) -> list[Path]:
    """Remove the run folders and worker outputs of all but the newest `keep` applies.

    Returns what was removed. Never raises: a file that cannot be removed stays.
    """
    state_dir = state_dir or paths.state_dir()
    log_dir = log_dir or paths.log_dir()
    dirs, outputs = _run_dirs(state_dir), _worker_outputs(log_dir)
    protected = set(protect)
    holder = current_holder(state_dir)
    if holder is not None and holder.run_id:
        protected.add(holder.run_id)
    newest_first = sorted(set(dirs) | set(outputs), reverse=True)
    removed: list[Path] = []
    for run_id in newest_first[keep:]:
        if run_id in protected:
            continue
        if run_id in dirs:
            shutil.rmtree(dirs[run_id], ignore_errors=True)
            if not dirs[run_id].exists():
                removed.append(dirs[run_id])
        if run_id in outputs:
            try:
                outputs[run_id].unlink()
            except OSError:
                continue
            removed.append(outputs[run_id])
    return removed
