"""The export is lint-clean: ansible-lint's strictest profile, offline."""

import subprocess

from tests.export.playbook import ANSIBLE_LINT, ansible_environment


def test_ansible_lint_passes_on_the_export(playbook):
    result = subprocess.run(
        [str(ANSIBLE_LINT), "--offline", "--profile", "production", "--nocolor"],
        capture_output=True,
        text=True,
        cwd=playbook,
        env={**ansible_environment(), "NO_COLOR": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stderr + result.stdout
