"""The layers below the UI never import Textual, so `detect`, `plan` and scripts start fast."""

import json
import subprocess
import sys

NON_UI = [
    "nvwizard.host",
    "nvwizard.detect",
    "nvwizard.knowledge",
    "nvwizard.report",
    "nvwizard.plan",
    "nvwizard.engine",
    "nvwizard.cli.main",
]


def _imported_after(code: str) -> list[str]:
    probe = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_non_ui_layers_do_not_import_textual():
    import pkgutil

    import nvwizard

    modules = [
        m.name
        for m in pkgutil.walk_packages(nvwizard.__path__, "nvwizard.")
        if not m.name.startswith("nvwizard.tui")
    ]
    code = "\n".join(f"import {m}" for m in modules if m != "nvwizard.__main__")
    loaded = _imported_after(code)
    assert "nvwizard.host" in loaded  # the probe really imported the package
    assert not [m for m in loaded if m == "textual" or m.startswith("textual.")]
    assert "rich" not in loaded


def test_the_probe_sees_textual_when_it_is_imported():
    loaded = _imported_after("import nvwizard.tui.app")
    assert "textual" in loaded
