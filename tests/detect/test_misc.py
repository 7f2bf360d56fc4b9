from nvwizard.detect.misc import (
    parse_df,
    parse_gpu_processes,
    parse_key_values,
    parse_lock_holders,
    parse_proc_fb,
    parse_reboot_required_pkgs,
    parse_unit_states,
)
from nvwizard.detect.models import DfEntry, Framebuffer, GpuProcess, LockHolder, UnitState

from ._samples import sample


def test_key_values_session_and_machine():
    assert parse_key_values(sample("misc", "session.txt")) == {
        "ssh": "1",
        "display_manager": "0",
        "default_target": "multi-user.target",
        "systemd": "1",
    }
    machine = parse_key_values(sample("misc", "machine.txt"))
    assert machine["title"] == "HGX H100 8-GPU, 24.04, old 535-server driver"
    assert parse_key_values("no equals here\n=x\nkey with space=1\r\na=b=c\r\n") == {"a": "b=c"}


def test_key_values_quotes_and_escapes():
    text = '# comment\r\na=\'x \\y\'\r\nb="GPU \\"one\\" box"\r\nc="unclosed\r\nd=\r\n'
    assert parse_key_values(text) == {"a": "x \\y", "b": 'GPU "one" box', "c": '"unclosed', "d": ""}


def test_df_posix_output_with_wrapped_filesystem_name():
    assert parse_df(sample("misc", "df.txt")) == [
        DfEntry(mount="/", available_kib=7914060),
        DfEntry(mount="/boot", available_kib=1511444),
        DfEntry(mount="/var", available_kib=47364836),
    ]
    assert parse_df("df: /nope: No such file or directory\n") == []


def test_gpu_processes():
    procs = parse_gpu_processes(sample("misc", "gpu-processes.txt"))
    assert procs[0] == GpuProcess(pid=381204, name="python3", user="alice", device="/dev/nvidia0")
    assert [p.name for p in procs] == ["python3", "python3", "Xorg"]
    # tabs turned into spaces by a paste, missing trailing fields, junk
    assert parse_gpu_processes("77 nvtop root\nx\tfoo\n88\t\n") == [
        GpuProcess(pid=77, name="nvtop", user="root", device=None)
    ]


def test_lock_holders():
    assert parse_lock_holders(sample("misc", "dpkg-lock.txt")) == [
        LockHolder(pid=1532, name="unattended-upgr", lock_path="/var/lib/dpkg/lock-frontend"),
        LockHolder(pid=1532, name="unattended-upgr", lock_path="/var/lib/dpkg/lock"),
    ]
    assert parse_lock_holders("1532\tapt\n\n") == []


def test_unit_states_with_and_without_enablement():
    text = (
        "nvidia-persistenced.service\tactive\tenabled\n"
        "nvidia-fabricmanager  failed\r\n"  # tabs lost in a paste, no suffix
        "garbage\n"
        "bad name!\tactive\n"
    )
    assert parse_unit_states(text) == [
        UnitState("nvidia-persistenced.service", "active", "enabled"),
        UnitState("nvidia-fabricmanager.service", "failed", None),
    ]


def test_proc_fb_in_index_order_with_spaces_in_names():
    assert parse_proc_fb("1 nouveaudrmfb\n0 EFI VGA\nnot a line\n") == [
        Framebuffer(0, "EFI VGA"),
        Framebuffer(1, "nouveaudrmfb"),
    ]
    assert parse_proc_fb("") == []


def test_reboot_required_pkgs():
    text = "linux-image-6.8.0-95-generic\nlinux-base\nlinux-base\n\n*** junk ***\n"
    assert parse_reboot_required_pkgs(text) == ["linux-image-6.8.0-95-generic", "linux-base"]
