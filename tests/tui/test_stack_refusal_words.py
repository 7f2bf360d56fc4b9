"""The Stack screen says its refusals in the wizard's words: cuDNN ticked with the toolkit
row `none` on a machine without a toolkit named the command line's `add --cuda VERSION (or
--cuda latest)`, options the wizard has no field for."""

from __future__ import annotations

from nvwizard.tui.tour import demo_app, settle
from tests.tui.test_stack_screen import SIZE, to_stack


async def test_cudnn_without_a_toolkit_is_refused_in_the_wizards_words():
    app = demo_app("rtx3090-fresh")  # no CUDA toolkit installed
    notices: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await to_stack(pilot)
        original = app.screen.notify
        app.screen.notify = lambda message, **kw: (  # type: ignore[method-assign]
            notices.append(message),
            original(message, **kw),
        )
        await pilot.press("tab", "space")  # cuDNN, the toolkit row still `none`
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "StackScreen"
        assert len(notices) == 1
        assert "--" not in notices[0]
        assert "cuDNN needs a CUDA toolkit" in notices[0]
        assert "choose one in the list" in notices[0]
