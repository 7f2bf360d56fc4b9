"""`capture` hides registry credentials in the container runtimes' configuration: the keys
stay, the values become "***", and the runtimes nvwizard reads from the files are unchanged."""

from __future__ import annotations

import json

from nvwizard.detect.containers import parse_daemon_json, parse_docker_info, parse_runtime_tables
from nvwizard.host.capture import capture
from nvwizard.host.config_secrets import redact_config_secrets, redact_source
from nvwizard.host.local import LocalHost

# containerd 1.7 (config version 2) as the Kubernetes guides write it, with nvidia-ctk's runtime
CONTAINERD_V2 = """\
version = 2

[plugins."io.containerd.grpc.v1.cri".containerd]
  default_runtime_name = "nvidia"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]
  BinaryName = "/usr/bin/nvidia-container-runtime"

[plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.com".auth]
  username = "deploy-bot"
  password = "hunter2-registry"
  auth = "ZGVwbG95LWJvdDpodW50ZXIy"
  identitytoken = "eyJhbGciOiJSUzI1NiJ9.identity"

[plugins."io.containerd.grpc.v1.cri".registry.configs."nvcr.io".auth]
  username = '$oauthtoken'
  password = 'nvapi-NGCKEY123456'  # the NGC API key

[plugins."io.containerd.grpc.v1.cri".registry.configs."ghcr.io".tls]
  insecure_skip_verify = false

[plugins."io.containerd.grpc.v1.cri".registry.headers]
  Authorization = ["Basic YWxpY2U6czNjcjN0"]
  X-Meta-Source = ["gpu-fleet"]
"""
# containerd 2.x (config version 3): single-quoted plugin names, an inline auth table
CONTAINERD_V3 = """\
version = 3
[plugins.'io.containerd.cri.v1.images'.registry.configs.'harbor.corp.local']
  auth = { username = "robot$ci", password = "Harb0rPa55", registrytoken = "reg-tok-42" }
[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.nvidia]
  runtime_type = "io.containerd.runc.v2"
"""
CRIO = """\
[crio.image]
global_auth_file = "/etc/crio/auth.json"
pause_image_auth_file = ""

[crio.runtime.runtimes.nvidia]
runtime_path = "/usr/bin/nvidia-container-runtime"
"""
DAEMON_JSON = """\
{
    "registry-mirrors": ["https://mirror-user:mirr0rpass@mirror.example.com"],
    "runtimes": {
        "nvidia": {"args": [], "path": "nvidia-container-runtime"}
    },
    "auths": {"registry.example.com": {"auth": "ZGVwbG95OnMzY3IzdA==", "Password": "d0ck3r"}}
}
"""
SECRETS = (
    "deploy-bot", "hunter2-registry", "ZGVwbG95LWJvdDpodW50ZXIy", "eyJhbGciOiJSUzI1NiJ9",
    "oauthtoken", "nvapi-NGCKEY123456", "YWxpY2U6czNjcjN0", "robot$ci", "Harb0rPa55",
    "reg-tok-42", "ZGVwbG95OnMzY3IzdA==", "d0ck3r", "mirr0rpass",
)  # fmt: skip


def test_containerd_v2_registry_credentials_lose_their_values_and_keep_their_keys():
    redacted = redact_config_secrets(CONTAINERD_V2)
    for secret in SECRETS[:7]:
        assert secret not in redacted
    assert '  username = "***"\n  password = "***"\n  auth = "***"\n  identitytoken = "***"\n' in (
        redacted
    )
    assert '  password = "***"  # the NGC API key\n' in redacted
    assert 'Authorization = "***"' in redacted
    assert 'X-Meta-Source = ["gpu-fleet"]' in redacted  # not a credential
    assert 'registry.configs."registry.example.com".auth]' in redacted  # a table, not a value
    assert "insecure_skip_verify = false" in redacted
    assert parse_runtime_tables(redacted) == parse_runtime_tables(CONTAINERD_V2)
    assert "nvidia" in parse_runtime_tables(redacted)


def test_an_inline_auth_table_keeps_its_shape():
    redacted = redact_config_secrets(CONTAINERD_V3)
    assert '  auth = { username = "***", password = "***", registrytoken = "***" }\n' in redacted
    assert "nvidia" in parse_runtime_tables(redacted)


def test_crio_credential_file_paths_are_kept():
    assert redact_config_secrets(CRIO) == CRIO  # paths to auth files, no secret in them


def test_daemon_json_stays_json_with_its_secrets_hidden():
    redacted = redact_config_secrets(DAEMON_JSON)
    parsed = json.loads(redacted)
    assert parsed["auths"]["registry.example.com"] == {"auth": "***", "Password": "***"}
    assert parse_daemon_json(redacted) == parse_daemon_json(DAEMON_JSON) == ("nvidia",)


def test_only_the_container_configuration_sources_are_touched():
    line = 'Description: token = "abc" in a package description\n'
    assert redact_source("apt-cache-show.txt", line) == line
    assert redact_source("containerd-config.txt", line) != line


def test_capture_writes_no_registry_credential(tmp_path):
    root = tmp_path / "root"
    (root / "etc" / "containerd" / "conf.d").mkdir(parents=True)
    (root / "etc" / "containerd" / "config.toml").write_text(CONTAINERD_V2)
    (root / "etc" / "containerd" / "conf.d" / "harbor.toml").write_text(CONTAINERD_V3)
    (root / "etc" / "crio" / "crio.conf.d").mkdir(parents=True)
    (root / "etc" / "crio" / "crio.conf").write_text(CRIO)
    (root / "etc" / "docker").mkdir()
    (root / "etc" / "docker" / "daemon.json").write_text(DAEMON_JSON)
    out = tmp_path / "bundle"
    result = capture(out, host=LocalHost(root=str(root)))
    assert {"containerd-config.txt", "crio-config.txt", "docker-daemon-json.txt"} <= set(
        result.written
    )
    for file in out.iterdir():
        text = file.read_text()
        for secret in SECRETS:
            assert secret not in text, (file.name, secret)
    assert 'password = "***"' in (out / "containerd-config.txt").read_text()
    daemon = json.loads((out / "docker-daemon-json.txt").read_text())
    assert daemon["registry-mirrors"] == ["https://***@mirror.example.com"]


# `docker info` of Docker 20.10 after `docker login` (the registry login under "Server:")
DOCKER_INFO_LOGGED_IN = """\
Client:
 Context:    default
 Debug Mode: false
 Plugins:
  app: Docker App (Docker Inc., v0.9.1-beta3)
  buildx: Docker Buildx (Docker Inc., v0.10.4-docker)

Server:
 Containers: 2
  Running: 0
  Paused: 0
  Stopped: 2
 Images: 5
 Server Version: 20.10.24
 Storage Driver: overlay2
 Cgroup Driver: systemd
 Runtimes: io.containerd.runc.v2 io.containerd.runtime.v1.linux nvidia runc
 Default Runtime: nvidia
 Name: dgx-a100-03
 ID: 3UQH:ZK2W:XQ3V:6LYD:DV7C:JMSD:WG4R:BRJX:G4HS:YB2A:3N6W:P3TK
 Docker Root Dir: /var/lib/docker
 Debug Mode: false
 Username: gpu-fleet-ci
 Registry: https://index.docker.io/v1/
 Labels:
 Experimental: false
 Insecure Registries:
  127.0.0.0/8
 Live Restore Enabled: false

WARNING: No swap limit support
"""
# Docker 18.09 printed the same lines flush left
DOCKER_INFO_18_09 = """\
Containers: 0
Server Version: 18.09.7
Runtimes: nvidia runc
Default Runtime: runc
Username: alice.example
Registry: https://index.docker.io/v1/
"""


def test_docker_info_keeps_the_username_line_without_the_account_name():
    redacted = redact_source("docker-info.txt", DOCKER_INFO_LOGGED_IN)
    assert "gpu-fleet-ci" not in redacted
    assert " Username: ***\n Registry: https://index.docker.io/v1/\n" in redacted
    assert redacted.replace(" Username: ***", " Username: gpu-fleet-ci") == DOCKER_INFO_LOGGED_IN
    assert parse_docker_info(redacted) == parse_docker_info(DOCKER_INFO_LOGGED_IN)
    old = redact_source("docker-info.txt", DOCKER_INFO_18_09)
    assert "Username: ***\n" in old and "alice.example" not in old
    assert redact_source("docker-info.txt", DOCKER_INFO_18_09.replace("Username", "Name")) == (
        DOCKER_INFO_18_09.replace("Username", "Name")  # not a login line
    )


def test_capture_writes_no_docker_login(tmp_path, fake_bin):
    fake_bin("docker", f"cat <<'END'\n{DOCKER_INFO_LOGGED_IN}END\n")
    out = tmp_path / "bundle"
    result = capture(out, host=LocalHost(root=str(tmp_path / "root")))
    assert "docker-info.txt" in result.written
    written = (out / "docker-info.txt").read_text()
    assert "gpu-fleet-ci" not in written
    assert " Username: ***\n" in written
    assert parse_docker_info(written).runtimes == (
        "io.containerd.runc.v2", "io.containerd.runtime.v1.linux", "nvidia", "runc",
    )  # fmt: skip
