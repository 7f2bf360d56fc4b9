"""apt preferences (/etc/apt/preferences and preferences.d/*): the pins in force.

Source: apt-preferences.txt, the files one after the other. Stanzas are separated by blank
lines; `Explanation:` and comment lines are skipped, as apt does.
"""

from __future__ import annotations

from nvwizard.detect._text import clean_lines
from nvwizard.detect.models import AptPin


def parse_apt_preferences(text: str) -> list[AptPin]:
    pins: list[AptPin] = []
    stanza: dict[str, str] = {}
    for line in [*clean_lines(text), ""]:
        stripped = line.strip()
        if not stripped:
            pin = _pin(stanza)
            if pin is not None:
                pins.append(pin)
            stanza = {}
            continue
        if stripped.startswith("#"):
            continue
        key, sep, value = stripped.partition(":")
        if sep and key.strip() in ("Package", "Pin", "Pin-Priority"):
            stanza[key.strip()] = value.strip()
    return pins


def _pin(stanza: dict[str, str]) -> AptPin | None:
    try:
        priority = int(stanza.get("Pin-Priority", ""))
    except ValueError:
        return None
    if "Package" not in stanza or "Pin" not in stanza:
        return None
    return AptPin(tuple(stanza["Package"].split()), stanza["Pin"], priority)
