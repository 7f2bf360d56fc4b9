"""Credentials out of captured text: a bundle is meant to be attached to public bug reports.

Private apt repositories put secrets into their URLs: `https://user:password@host/`,
`https://TOKEN@host/` or `https://TOKEN:@host/` (a token as the user name), and
`https://host/path?token=...`. Every URL keeps its scheme, host and path, so a replayed bundle
still says which repositories the machine uses; the user information and every query value
become `***`. A secret written into a URL's path cannot be told from a path, and is kept.
"""

from __future__ import annotations

import re

HIDDEN = "***"
# A URL up to the next space or the characters that end one in apt lines and shell text.
_URL = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^\s\"'<>\]]+)")


def redact_credentials(text: str) -> str:
    """`text` with the user information and query values of every URL replaced by `***`."""
    if "://" not in text:
        return text
    return _URL.sub(lambda match: match[1] + _redact_after_scheme(match[2]), text)


def _redact_after_scheme(rest: str) -> str:
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        authority = f"{HIDDEN}@{authority.rpartition('@')[2]}"
    path, question, query = tail.partition("?")
    if question:
        query, hash_mark, fragment = query.partition("#")
        query = "&".join(_redact_parameter(p) for p in query.split("&"))
        tail = f"{path}?{query}{hash_mark}{fragment}"
    return authority + tail


def _redact_parameter(parameter: str) -> str:
    name, equals, _value = parameter.partition("=")
    return f"{name}={HIDDEN}" if equals else HIDDEN
