"""Secret values out of the container runtimes' configuration files a capture records
(`containerd-config.txt`, `crio-config.txt`, `docker-daemon-json.txt`), and the registry
login `docker info` shows (`docker-info.txt`).

containerd keeps registry credentials in its config.toml, in the clear:

    [plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.com".auth]
      username = "deploy"
      password = "hunter2"
      auth = "ZGVwbG95Omh1bnRlcjI="       # base64 of user:password
      identitytoken = "eyJhbGciOi..."

(v3's `[plugins.'io.containerd.cri.v1.images'.registry...]` the same), also as an inline
table (`auth = { username = "deploy", password = "hunter2" }`), and an `Authorization`
header in `registry.headers`. CRI-O and Docker's daemon.json point at credential files
rather than holding them, but a key of that name in them is hidden all the same. The key
stays, its value becomes `"***"`, so the replay still shows that a registry has credentials.

`docker info` names the account logged in to the default registry (`docker login`) on a
`Username:` line (indented under "Server:" since Docker 20.10, flush left before); the line
stays with `***` for the account name.
"""

from __future__ import annotations

import re

from nvwizard.host.redact import HIDDEN

CONFIG_SOURCES = frozenset({"containerd-config.txt", "crio-config.txt", "docker-daemon-json.txt"})
SECRET_KEYS = (
    "username",
    "password",
    "passwd",
    "auth",
    "identitytoken",
    "identity_token",
    "registrytoken",
    "registry_token",
    "token",
    "secret",
    "authorization",
)
_KEYS = "|".join(SECRET_KEYS)
# TOML: key = value, the key bare, quoted or the last of a dotted key; the value a string, an
# array (a header's values) or a bare word. An inline table's keys are matched one by one.
_TOML = re.compile(
    rf"""(?<![\w-])(["']?)({_KEYS})\1(\s*=\s*)"""
    r"""("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|\[[^\]\n]*\]|[^\s,}{\[#][^\s,}#]*)""",
    re.IGNORECASE,
)
# JSON: "key": "value"
_JSON = re.compile(rf'("(?:{_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
DOCKER_INFO = "docker-info.txt"
# ` Username: deploy-bot` in `docker info`
_DOCKER_USERNAME = re.compile(r"^([ \t]*Username:[ \t]*)\S[^\r\n]*", re.MULTILINE)


def redact_config_secrets(text: str) -> str:
    """`text` with the value of every credential key replaced by "***"."""
    text = _TOML.sub(lambda m: f'{m[1]}{m[2]}{m[1]}{m[3]}"{HIDDEN}"', text)
    return _JSON.sub(lambda m: f'{m[1]}"{HIDDEN}"', text)


def redact_docker_login(text: str) -> str:
    """`docker info` with the account name of its registry login replaced by "***"."""
    return _DOCKER_USERNAME.sub(lambda m: f"{m[1]}{HIDDEN}", text)


def redact_source(source: str, text: str) -> str:
    """What a capture writes of `source`: secret config values and the registry login
    hidden where they may be."""
    if source in CONFIG_SOURCES:
        return redact_config_secrets(text)
    return redact_docker_login(text) if source == DOCKER_INFO else text
