"""`capture` writes no credentials: apt source URLs lose their user information and tokens."""

from __future__ import annotations

import pytest

from nvwizard.detect.apt_sources import parse_apt_source_entries
from nvwizard.host.capture import capture
from nvwizard.host.local import LocalHost
from nvwizard.host.redact import redact_credentials

CUDA_REPOSITORY = (
    "deb [signed-by=/usr/share/keyrings/cuda.gpg] "
    "https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64/ /"
)
SECRETS = ("alice", "hunter2", "gh0stT0ken", "s3cr3t", "fury-9f8e7d", "pc-token-123", "xyz789")


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            "deb https://alice:hunter2@repo.example.com/ubuntu jammy main",
            "deb https://***@repo.example.com/ubuntu jammy main",
        ),
        (  # a token as the user name (Gemfury), with options before the URL
            "deb [arch=amd64 signed-by=/k/f.gpg] https://fury-9f8e7d@apt.fury.io/acme/ * *",
            "deb [arch=amd64 signed-by=/k/f.gpg] https://***@apt.fury.io/acme/ * *",
        ),
        (  # a token and an empty password (packagecloud)
            "deb https://pc-token-123:@packagecloud.io/acme/private/ubuntu/ jammy main",
            "deb https://***@packagecloud.io/acme/private/ubuntu/ jammy main",
        ),
        (  # a password with an @ in it, and a port
            "deb http://alice:hunt@r2@mirror.example.com:8080/ubuntu jammy main",
            "deb http://***@mirror.example.com:8080/ubuntu jammy main",
        ),
        (
            "deb https://repo.example.com/apt?token=s3cr3t&arch=amd64 stable main",
            "deb https://repo.example.com/apt?token=***&arch=*** stable main",
        ),
        (
            "deb tor+https://alice:xyz789@x.onion/ubuntu jammy main",
            "deb tor+https://***@x.onion/ubuntu jammy main",
        ),
        (  # nothing secret: unchanged
            CUDA_REPOSITORY,
            CUDA_REPOSITORY,
        ),
        ("deb http://[::1]:3142/ubuntu jammy main", "deb http://[::1]:3142/ubuntu jammy main"),
    ],
)
def test_credentials_are_replaced_and_the_repository_kept(line, expected):
    assert redact_credentials(line) == expected


def test_deb822_uris_are_redacted_too():
    text = (
        "Types: deb\n"
        "URIs: https://alice:hunter2@private.example.com/nvidia https://gh0stT0ken@b.example.com/\n"
        "Suites: jammy\n"
    )
    redacted = redact_credentials(text)
    assert redacted == (
        "Types: deb\nURIs: https://***@private.example.com/nvidia https://***@b.example.com/\n"
        "Suites: jammy\n"
    )


def test_capture_writes_no_secret_from_any_apt_source(tmp_path):
    root = tmp_path / "root"
    apt = root / "etc" / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    (apt / "sources.list").write_text(
        "deb http://archive.ubuntu.com/ubuntu jammy main restricted\n"
        "deb https://alice:hunter2@repo.example.com/ubuntu jammy main\n"
    )
    (apt / "sources.list.d" / "private.list").write_text(
        "deb [arch=amd64] https://fury-9f8e7d@apt.fury.io/acme/ * *\n"
        "deb https://repo.example.com/apt?token=s3cr3t stable main\n"
    )
    (apt / "sources.list.d" / "vendor.sources").write_text(
        "Types: deb\n"
        "URIs: https://pc-token-123:@packagecloud.io/acme/private/ubuntu/\n"
        "Suites: jammy\n"
        "Components: main\n"
        "\n"
        "Types: deb deb-src\n"
        "URIs: https://alice:xyz789@cuda.example.com/cuda\n"
        "Suites: noble\n"
        "Components: main\n"
    )
    out = tmp_path / "bundle"
    capture(out, host=LocalHost(root=str(root)))
    for file in out.iterdir():
        text = file.read_text()
        for secret in SECRETS:
            assert secret not in text, (file.name, secret)
    sources = (out / "apt-sources.txt").read_text()
    assert "https://***@repo.example.com/ubuntu jammy main" in sources
    assert "https://***@packagecloud.io/acme/private/ubuntu/ jammy main" in sources
    assert "http://archive.ubuntu.com/ubuntu jammy main restricted" in sources
    assert len(parse_apt_source_entries(sources)) == 7  # every source still there for a replay
