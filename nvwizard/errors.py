"""Errors that end a command with a clear one-line message instead of a traceback."""

EXIT_OK = 0
EXIT_FAILED = 1  # a step failed
EXIT_USAGE = 2  # bad arguments or unreadable input
EXIT_REFUSED = 3  # a precondition failed, not root, or not confirmed

# An echoed value longer than this is cut: a 5000-character argument must not flood the terminal.
SHOWN_LIMIT = 100


def shown(value: str, limit: int = SHOWN_LIMIT) -> str:
    """`value` as it may be echoed in a message: at most `limit` characters and a note."""
    if len(value) <= limit:
        return value
    return f"{value[: limit - 20]}...({len(value)} characters)"


class NvwizardError(Exception):
    exit_code = EXIT_FAILED


class UsageError(NvwizardError):
    exit_code = EXIT_USAGE


class RefusedError(NvwizardError):
    exit_code = EXIT_REFUSED
