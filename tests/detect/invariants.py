"""What every parser's result must be, whatever text it was given:

- of the types its return annotation says, down to each dataclass field;
- made of the input: every text it returns (a GPU's PCI address and device id, a package
  name, a version, a description...) is in the text it read, up to case and runs of
  whitespace, except the few values a parser derives, each checked by its own rule below;
- nothing when the text has nothing: empty input gives an empty result.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any

from nvwizard.detect.lspci import CLASS_CODES, NVIDIA_VENDOR

# (owner, field) -> the values it may take: an owner is a model class's name, or a parser's
# for the parsers that return a plain str.
VOCABULARY: dict[tuple[str, str], frozenset[str | None]] = {
    ("NvidiaSmi", "status"): frozenset(
        {"ok", "no-driver", "version-mismatch", "no-devices", "error"}
    ),
    ("UbuntuDriversDriver", "source"): frozenset({"distro", "third-party"}),
    ("KernelModuleVersion", "flavor"): frozenset({"open", "proprietary", None}),
    ("parse_sb_state", ""): frozenset({"enabled", "disabled", "unsupported", "unknown"}),
    # systemd's ActiveState values (systemctl --state=help)
    ("UnitState", "active"): frozenset(
        {"active", "reloading", "inactive", "failed", "activating", "deactivating"}
        | {"maintenance", "refreshing"}
    ),
}
HEX4 = re.compile(r"[0-9a-f]{4}")
# The formats models.py promises.
FORMATS: dict[tuple[str, str], re.Pattern[str]] = {
    ("PciDevice", "address"): re.compile(r"[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]"),
    ("PciDevice", "vendor_id"): HEX4,
    ("PciDevice", "device_id"): HEX4,
    ("PciDevice", "class_code"): HEX4,
    ("Modalias", "vendor"): HEX4,
    ("Modalias", "device"): HEX4,
    ("Modalias", "subvendor"): HEX4,
    ("Modalias", "subdevice"): HEX4,
    ("Modalias", "base_class"): re.compile(r"[0-9a-f]{2}"),
    ("Modalias", "sub_class"): re.compile(r"[0-9a-f]{2}"),
    ("Modalias", "prog_if"): re.compile(r"[0-9a-f]{2}"),
    # desired action, package status, optional error flag (dpkg-query's words become these)
    ("DpkgEntry", "state"): re.compile(r"[uihrp][ncHUFWti]R?"),
}
# Values that are not copied from the input: how each is derived, so it can still be traced
# to the input. Each takes (value, Input) and says whether the input holds it.
DERIVED: dict[tuple[str, str], Callable[[str, Input], bool]] = {
    # a unit named without a suffix is a service, as systemctl reads it
    ("UnitState", "name"): lambda value, given: (
        given.holds(value) or given.holds(value.removesuffix(".service"))
    ),
}


def _flat(text: str) -> str:
    """Case folded (any case), whitespace runs as one space: how values are compared."""
    return " ".join(text.casefold().split())


class Input:
    """The text a parser read, ready for "is this value in it?" questions."""

    def __init__(self, text: str):
        self.text = text
        self.flat = _flat(text)

    def holds(self, value: str) -> bool:
        return value in self.text or _flat(value) in self.flat


def _derived(owner: str, field: str):
    def register(rule: Callable[[str, Input], bool]) -> Callable[[str, Input], bool]:
        DERIVED[(owner, field)] = rule
        return rule

    return register


@_derived("PciDevice", "address")
def _address(value: str, given: Input) -> bool:
    # "0000:01:00.0" from lspci's "01:00.0" or nvidia-smi's "00000000:01:00.0"
    return given.holds(value[-7:])


def _kernel_log_address(value: str, given: Input) -> bool:
    # the driver names "PCI:0000:41:00" (no function: a GPU's is 0) or "0000:b3:00.0"
    return given.holds(value) or given.holds(value.removesuffix(".0"))


for _owner, _field in (
    ("XidEvent", "pci_address"),
    ("AdapterFailure", "pci_address"),
    ("OpenRefusal", "pci_address"),
    ("KernelLog", "fallen_off_bus"),
    ("KernelLog", "nouveau_bound"),
):
    DERIVED[(_owner, _field)] = _kernel_log_address
# "nvidia: module_layout" from "nvidia: disagrees about version of symbol module_layout"
DERIVED[("KernelLog", "symbol_mismatches")] = lambda value, given: all(
    given.holds(part) for part in value.split(": ")
)


@_derived("PciDevice", "vendor_id")
def _vendor(value: str, given: Input) -> bool:
    # plain `lspci` prints no ids: an "NVIDIA Corporation" line is vendor 10de
    return given.holds(value) or (value == NVIDIA_VENDOR and "nvidia" in given.flat)


@_derived("PciDevice", "class_code")
def _class_code(value: str, given: Input) -> bool:
    # plain `lspci` names the class ("3D controller"); a modalias has it as bcXXscYY
    named = any(code == value and given.holds(name) for name, code in CLASS_CODES.items())
    return given.holds(value) or named or given.holds(f"bc{value[:2]}sc{value[2:]}")


@_derived("DpkgEntry", "state")
def _state(value: str, given: Input) -> bool:
    # `dpkg-query` prints words ("install ok installed"), `dpkg -l` the letters
    return given.holds(value) or "install" in given.flat or "deinstall" in given.flat


@_derived("NvidiaSmi", "message")
def _message(value: str, given: Input) -> bool:
    # the error line, cut to 300 characters with "...", or a fixed "command not found"
    if value == "nvidia-smi: command not found":
        return "not found" in given.flat
    return given.holds(value.removesuffix("..."))


@_derived("CudnnHeader", "version")
def _cudnn_version(value: str, given: Input) -> bool:
    # "9.6.0" from the CUDNN_MAJOR, CUDNN_MINOR and CUDNN_PATCHLEVEL defines
    return given.holds(value) or all(given.holds(part) for part in value.split("."))


@_derived("AptSourceEntry", "options")
def _source_options(value: str, given: Input) -> bool:
    # a deb822 stanza's Signed-By (a path, or a key written inline) becomes [signed-by=...]
    words = value.strip("[]").replace("=(inline key)", "=").split()
    return given.holds(value) or all(
        not word.partition("=")[2] or given.holds(word.partition("=")[2]) for word in words
    )


@_derived("parse_key_values", "value")
def _unquoted(value: str, given: Input) -> bool:
    # quotes around a value are dropped and backslash escapes undone
    return given.holds(value) or _flat(value.replace("\\", "")) in given.flat.replace("\\", "")


# -- walking a result ---------------------------------------------------------------------------


def leaves(value: Any, owner: str, field: str = "") -> Iterator[tuple[str, str, Any]]:
    """(owner, field, value) for every str, int, bool and None inside a parser's result."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from leaves(getattr(value, f.name), type(value).__name__, f.name)
    elif isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple
        for name in value._fields:
            yield from leaves(getattr(value, name), type(value).__name__, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(key, owner, "key")
            yield from leaves(item, owner, "value")
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from leaves(item, owner, field)
    else:
        yield owner, field, value


def check_invented(parser: Callable, given: Input, result: Any) -> None:
    """Every text in the result comes from the input (or from its documented rule)."""
    seen: set[tuple[str, str, str]] = set()
    for owner, field, value in leaves(result, parser.__name__):
        if not isinstance(value, str) or (owner, field, value) in seen:
            continue
        seen.add((owner, field, value))
        where = f"{parser.__name__}: {owner}.{field} = {value[:80]!r}"
        if (owner, field) in VOCABULARY:
            assert value in VOCABULARY[(owner, field)], where
            continue
        if (owner, field) in FORMATS:
            assert FORMATS[(owner, field)].fullmatch(value), f"{where}: not the model's format"
        rule = DERIVED.get((owner, field))
        found = rule(value, given) if rule else given.holds(value)
        assert found, f"{where}: not in the input"


def check_types(value: Any, hint: Any, where: str) -> None:
    """`value` is of the type `hint` says (a return annotation, resolved), recursively."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return
    if hint is None or hint is type(None):
        assert value is None, where
    elif origin in (typing.Union, types.UnionType):
        for option in args:
            try:
                check_types(value, option, where)
                return
            except AssertionError:
                pass
        raise AssertionError(f"{where}: {value!r:.80} is none of {hint}")
    elif origin is list:
        assert isinstance(value, list), f"{where}: {type(value).__name__}, not a list"
        for index, item in enumerate(value):
            check_types(item, args[0], f"{where}[{index}]")
    elif origin is tuple:
        assert isinstance(value, tuple), f"{where}: {type(value).__name__}, not a tuple"
        items = args[:1] * len(value) if len(args) == 2 and args[1] is ... else args
        assert len(items) == len(value), f"{where}: {len(value)} items, not {len(items)}"
        for index, (item, item_hint) in enumerate(zip(value, items, strict=True)):
            check_types(item, item_hint, f"{where}[{index}]")
    elif origin is dict:
        assert isinstance(value, dict), f"{where}: {type(value).__name__}, not a dict"
        for key, item in value.items():
            check_types(key, args[0], f"{where} key")
            check_types(item, args[1], f"{where}[{key!r:.40}]")
    elif isinstance(hint, type) and (dataclasses.is_dataclass(hint) or hasattr(hint, "_fields")):
        assert isinstance(value, hint), f"{where}: {type(value).__name__}, not {hint.__name__}"
        for name, field_hint in typing.get_type_hints(hint).items():
            check_types(getattr(value, name), field_hint, f"{where}.{name}")
    elif hint is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
    else:
        assert isinstance(value, hint), f"{where}: {value!r:.80} is not {hint}"


def check(parser: Callable, text: str, result: Any, given: Input | None = None) -> None:
    """All of the above; `given` (the input, prepared) may be shared between checks."""
    check_types(result, typing.get_type_hints(parser)["return"], parser.__name__)
    check_invented(parser, given or Input(text), result)


def is_empty(result: Any, owner: str) -> bool:
    """Nothing found: no text, number or true flag in it but a vocabulary's "nothing"."""
    for leaf_owner, field, value in leaves(result, owner):
        if (leaf_owner, field) in VOCABULARY and value in ("error", "unknown", None):
            continue
        if value not in (None, False):
            return False
    return True


def distinct(result: Any) -> Any:
    """The result with each list's (or tuple's) repeated items kept once, also in a
    dataclass's fields: 30 MB of a sample, or a line of garbage repeated, give the same few
    items a hundred thousand times; checking each once is checking them all."""
    if isinstance(result, list):
        return list({repr(item): item for item in result}.values())
    if isinstance(result, tuple) and not hasattr(result, "_fields"):
        return tuple({repr(item): item for item in result}.values())
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        changes = {
            f.name: distinct(getattr(result, f.name))
            for f in dataclasses.fields(result)
            if isinstance(getattr(result, f.name), (list, tuple))
        }
        return dataclasses.replace(result, **changes)
    return result


def found_again(once: Any, repeated: Any) -> bool:
    """Whatever one copy of a sample gives is in what many copies give: each item of a list
    is among the many's, each field and value the same (or, for lists, found again)."""
    if isinstance(once, (list, tuple)) and not hasattr(once, "_fields"):
        if not isinstance(repeated, (list, tuple)):
            return False
        many = {repr(item) for item in repeated}
        return all(repr(item) in many for item in once)
    if dataclasses.is_dataclass(once) and not isinstance(once, type):
        return type(once) is type(repeated) and all(
            found_again(getattr(once, f.name), getattr(repeated, f.name))
            for f in dataclasses.fields(once)
        )
    if isinstance(once, dict):
        return isinstance(repeated, dict) and all(
            key in repeated and found_again(value, repeated[key]) for key, value in once.items()
        )
    return once == repeated


COUNT_FIELDS = (
    "count",
    "lockdown_refusals",
    "suppressed",
    "left_out",
    "gsp_xids_of_other_versions",
)


def uncounted(result: Any) -> Any:
    """The result with every count (`COUNT_FIELDS`) at 0, in nested dataclasses and tuples."""
    if isinstance(result, tuple) and not hasattr(result, "_fields"):
        return tuple(uncounted(item) for item in result)
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        changes = {
            f.name: 0 if f.name in COUNT_FIELDS else uncounted(getattr(result, f.name))
            for f in dataclasses.fields(result)
        }
        return dataclasses.replace(result, **changes)
    return result
