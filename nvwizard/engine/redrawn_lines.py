"""A line of command output as the terminal it was written for leaves it.

dpkg redraws its database counter on one line, each state after a carriage return:
`(Reading database ... \\r(Reading database ... 5%\\r...(Reading database ... 218472 files and
directories currently installed.)` reaches the engine as one line. A terminal goes back to
the line's start at each carriage return, so what stays is the text after the last one, the
progress line's final state. What the front ends show (the CLI's live output, the wizard's
log, a failure's last lines) is that; the journal, the human log and `nvwizard logs` keep
the line as the command printed it.
"""

from __future__ import annotations


def final_state(line: str) -> str:
    """`line` as a terminal leaves it: the text after its last carriage return. One that
    ends the line only moves the cursor, so the text before it stays."""
    if "\r" not in line:
        return line
    return next((part for part in reversed(line.split("\r")) if part), "")
