"""Options that hold one value: given twice with different values, a usage error.

argparse keeps the last of `--driver A --driver B` and drops the first without a word, which
would plan B while the user may have meant A. So every option stored as one value (`store`,
`store_const`, `store_true`/`store_false`, `--[no-]x`) is registered here, once, for every
parser nvwizard builds (`register_single_value_actions`): the same value twice is harmless
(`--yes --yes`, a script repeating `--cuda 12.8`), two different values stop the command with
one line naming the option. Options meant to repeat (`append`: `--keep PKG`, `--also-purge
PKG`) are left as argparse makes them.

What was given is remembered in the namespace being parsed (`GIVEN`), which each parser
removes when it has parsed its arguments, so no command ever sees it.
"""

from __future__ import annotations

import argparse
from typing import Any

from nvwizard.errors import shown

# The namespace attribute that holds {dest: (option string, value)} while parsing.
GIVEN = "_single_values_given"


class _SingleValue(argparse.Action):
    """Refuses a second, different value for its `dest` (mixed in before argparse's action)."""

    def __call__(self, parser, namespace, values, option_string=None):
        given: dict[str, tuple[str, Any]] = namespace.__dict__.setdefault(GIVEN, {})
        super().__call__(parser, namespace, values, option_string)
        value = getattr(namespace, self.dest)
        option = option_string or self.dest
        if self.dest in given:
            first, first_value = given[self.dest]
            if first_value != value:
                raise argparse.ArgumentError(None, _twice(first, first_value, option, value))
        given[self.dest] = (option, value)


def _twice(first: str, first_value: Any, second: str, second_value: Any) -> str:
    if first != second:  # --persistenced then --no-persistenced, one dest
        return f"{first} and {second} both given: give one of them"
    return (
        f"{first} given twice ({shown(str(first_value))}, then {shown(str(second_value))}): "
        "give it once"
    )


class SingleStore(_SingleValue, argparse._StoreAction):
    pass


class SingleStoreConst(_SingleValue, argparse._StoreConstAction):
    pass


class SingleStoreTrue(_SingleValue, argparse._StoreTrueAction):
    pass


class SingleStoreFalse(_SingleValue, argparse._StoreFalseAction):
    pass


class SingleBooleanOptional(_SingleValue, argparse.BooleanOptionalAction):
    pass


_SINGLE_VALUE_ACTIONS: dict[Any, type[argparse.Action]] = {
    None: SingleStore,  # argparse's default action
    "store": SingleStore,
    "store_const": SingleStoreConst,
    "store_true": SingleStoreTrue,
    "store_false": SingleStoreFalse,
    argparse.BooleanOptionalAction: SingleBooleanOptional,  # named by class, not by string
}


def register_single_value_actions(parser: argparse.ArgumentParser) -> None:
    """Make every single-value option `parser` (and its subparsers) will add refuse a
    second, different value. Call before adding arguments."""
    for name, action in _SINGLE_VALUE_ACTIONS.items():
        parser.register("action", name, action)


def forget_given(namespace: argparse.Namespace) -> None:
    """Drop the record of what was given, once a parser has read its arguments."""
    namespace.__dict__.pop(GIVEN, None)
