"""The Purge screen with hundreds of packages: built at once, and a toggle redraws one row.

It used to add its rows one by one, each posting a "selection changed" message whose handler
relabelled every row: quadratic (300 packages, 90,000 relabels; 3,000 never answered).
"""

from __future__ import annotations

from textual.widgets import SelectionList

from nvwizard.detect.models import DpkgEntry
from nvwizard.tui.screens.purge import PurgeScreen
from nvwizard.tui.widgets.package_list import PackageList
from tests.tui.fakes import FakeBackend, fake_report
from tests.tui.test_walk_fake import make_app, screen_name, settle

PACKAGES = 300


def many_packages_report():
    report = fake_report()
    report.installed_packages = [
        DpkgEntry(f"libnvidia-compute-{n}-server", f"{n}.1-0ubuntu1", "ii") for n in range(PACKAGES)
    ]
    return report


async def test_hundreds_of_packages_are_built_at_once_and_a_toggle_relabels_one_row(
    monkeypatch,
):
    relabelled: list[str] = []
    changes: list[int] = []
    original_relabel = SelectionList.replace_option_prompt
    original_handler = PurgeScreen.on_selection_list_selected_changed

    def relabel(self, option_id, prompt):
        relabelled.append(option_id)
        return original_relabel(self, option_id, prompt)

    def handler(self, event):
        changes.append(len(event.selection_list.selected))
        return original_handler(self, event)

    monkeypatch.setattr(SelectionList, "replace_option_prompt", relabel)
    monkeypatch.setattr(PurgeScreen, "on_selection_list_selected_changed", handler)
    app = make_app(FakeBackend(many_packages_report()))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert screen_name(app) == "PurgeScreen"
        packages = app.screen.query_one(PackageList)
        assert packages.option_count == PACKAGES
        assert (changes, relabelled) == ([], [])  # building the list changed nothing

        await pilot.press("j", "space")  # untick the second package
        await settle(pilot)
        assert changes == [PACKAGES - 1]
        assert relabelled == ["libnvidia-compute-1-server"]
        prompt = packages.get_option("libnvidia-compute-1-server").prompt
        assert str(prompt).startswith("keep  libnvidia-compute-1-server")
        assert "libnvidia-compute-1-server" not in app.state.ticked
        assert f"Purge {PACKAGES - 1} packages" in str(app.screen.query_one("#confirm").label)
