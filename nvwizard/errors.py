"""Errors that end a command with a clear one-line message instead of a traceback."""

EXIT_OK = 0
EXIT_FAILED = 1  # a step failed
EXIT_USAGE = 2  # bad arguments or unreadable input
EXIT_REFUSED = 3  # a precondition failed, not root, or not confirmed


class NvwizardError(Exception):
    exit_code = EXIT_FAILED


class UsageError(NvwizardError):
    exit_code = EXIT_USAGE


class RefusedError(NvwizardError):
    exit_code = EXIT_REFUSED
