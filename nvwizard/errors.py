"""Errors that end a command with a clear one-line message instead of a traceback."""

import textwrap

EXIT_OK = 0
EXIT_FAILED = 1  # a step failed
EXIT_USAGE = 2  # bad arguments or unreadable input
EXIT_REFUSED = 3  # a precondition failed, not root, or not confirmed
EXIT_NOT_ACTIVATED = 4  # `activate`: only a reboot loads the installed driver; nothing changed
EXIT_INTERRUPTED = 130  # Ctrl+C (128 + SIGINT)
EXIT_HANGUP = 129  # 128 + SIGHUP (cli/stop_signals.py)
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: the output was closed (`| head`)

# What each exit code means: `--help` prints it, and the README's table must say the same.
EXIT_CODE_MEANINGS = (
    (EXIT_OK, "done (the wizard: its install succeeded, or it ran none)"),
    (
        EXIT_FAILED,
        "a step failed (or the apply was cancelled: Ctrl+C, SIGTERM or SIGHUP during a demo or "
        "bundle apply stop it after the running step; `verify`: a check failed; the wizard: "
        "its install failed, even where its repair then ran, or was stopped)",
    ),
    (
        EXIT_USAGE,
        "usage error: bad option, unknown driver, unreadable `--machine`, "
        "a state or log folder that cannot be used, a damaged state file or journal; "
        "`reboot --machine` (a capture bundle is a snapshot: nothing there reboots)",
    ),
    (
        EXIT_REFUSED,
        "refused: a precondition failed (this GPU cannot run the driver, a desktop driver on "
        "an NVSwitch board, the driver or GPU "
        "cannot run the CUDA toolkit asked for, the simulation says stop, another apply is "
        "running or changed the saved demo machine; `install --yes`: a blocking condition of "
        "the plan not accepted with `--accept ID`; `verify`: no NVIDIA GPU; `logs`: no apply "
        "log yet; `reboot`: no NVIDIA driver installed to load, or `--yes` without `--accept "
        "no-next-boot-module` where the kernel that boots next has no nvidia module), not "
        "root, or not confirmed",
    ),
    (
        EXIT_NOT_ACTIVATED,
        "`activate`: not activated, only a reboot loads the installed driver (nothing was "
        "changed; the reason is on the last line)",
    ),
    (
        EXIT_INTERRUPTED,
        "interrupted with Ctrl+C (an apply on this machine goes on; the wizard: left with q or "
        "Ctrl+C while its install goes on in the background)",
    ),
    (EXIT_HANGUP, "ended by SIGHUP (an apply on this machine goes on)"),
    (EXIT_TERMINATED, "ended by SIGTERM (an apply on this machine goes on)"),
    (
        EXIT_BROKEN_PIPE,
        "its output was closed before it ended (the program reading it went away, as `head` "
        "does): it stopped there, as a program ended by SIGPIPE does (an apply on this machine "
        "goes on)",
    ),
)


def exit_codes_help(meanings: tuple[tuple[int, str], ...] = EXIT_CODE_MEANINGS) -> str:
    """The exit-code table as `--help` epilogs print it: nvwizard's, or a command's own."""
    rows = [
        textwrap.fill(meaning, 79, initial_indent=f"  {code:<4}", subsequent_indent=" " * 6)
        for code, meaning in meanings
    ]
    return "exit codes:\n" + "\n".join(rows) + "\n"


# An echoed value longer than this is cut: a 5000-character argument must not flood the terminal.
SHOWN_LIMIT = 100


def shown(value: str, limit: int = SHOWN_LIMIT) -> str:
    """`value` as it may be echoed in a message: at most `limit` characters and a note."""
    if len(value) <= limit:
        return value
    return f"{value[: limit - 20]}...({len(value)} characters)"


# Control characters written as their escapes (ESC as `\x1b`), never sent to a terminal: C0
# but tab and newline, DEL, C1, and the Unicode marks that reorder what follows them. Machine
# data (a bundle from a stranger's bug report) may hold any of them; the command line's output
# (cli/terminal_text.py) and the wizard's text (tui/shown_text.py) show them this way.
_CONTROL_CODES = (
    *range(0x00, 0x09),
    *range(0x0B, 0x20),
    *range(0x7F, 0xA0),
    0x061C,  # Arabic letter mark
    0x200E,  # left-to-right mark
    0x200F,  # right-to-left mark
    *range(0x202A, 0x202F),  # embeddings and overrides
    *range(0x2066, 0x206A),  # isolates
)
CONTROL_ESCAPES = {code: repr(chr(code))[1:-1] for code in _CONTROL_CODES}


def escape_controls(text: str) -> str:
    """`text` with each control character written as its escape: shown, never obeyed."""
    return text.translate(CONTROL_ESCAPES)


class NvwizardError(Exception):
    exit_code = EXIT_FAILED


class UsageError(NvwizardError):
    exit_code = EXIT_USAGE


class RefusedError(NvwizardError):
    exit_code = EXIT_REFUSED


class StateFileError(NvwizardError):
    """The state file cannot be read or is not what nvwizard writes (exit code 2).

    Raised by engine/state.py; defined here so that a front end can catch it without importing
    the engine's models (the wizard's start-up on a demo machine needs none of them)."""

    exit_code = EXIT_USAGE
