import pytest

from nvwizard.detect.models import OsRelease
from nvwizard.detect.os_release import parse_os_release
from nvwizard.detect.uname import kernel_flavour, parse_uname_r

from ._samples import sample


def test_os_release_ubuntu_quoted_and_unquoted():
    assert parse_os_release(sample("misc", "os-release-jammy.txt")) == OsRelease(
        id="ubuntu",
        version_id="22.04",
        pretty_name="Ubuntu 22.04.4 LTS",
        version_codename="jammy",
        id_like="debian",
    )


def test_os_release_debian():
    r = parse_os_release(sample("misc", "os-release-debian12.txt"))
    assert (r.id, r.version_id, r.version_codename, r.id_like) == ("debian", "12", "bookworm", None)


def test_os_release_single_quotes_escapes_crlf_and_comments():
    text = '# comment\r\nID=\'ubuntu\'\r\nPRETTY_NAME="Ubuntu \\"Noble\\" 24.04"\r\nVERSION_ID=\r\n'
    r = parse_os_release(text)
    assert (r.id, r.pretty_name, r.version_id) == ("ubuntu", 'Ubuntu "Noble" 24.04', None)


def test_os_release_garbage():
    assert parse_os_release("not an os-release\n=\n===") == OsRelease()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6.8.0-87-generic\n", "6.8.0-87-generic"),
        ("  5.15.0-1045-aws  \r\n", "5.15.0-1045-aws"),
        (
            "Linux gpu-01 6.8.0-87-generic #88-Ubuntu SMP PREEMPT_DYNAMIC x86_64 GNU/Linux",
            "6.8.0-87-generic",
        ),
        ("uname: command not found\n", None),
        ("", None),
    ],
)
def test_parse_uname_r(text, expected):
    assert parse_uname_r(text) == expected


@pytest.mark.parametrize(
    ("release", "flavour"),
    [
        ("6.8.0-87-generic", "generic"),
        ("6.5.0-45-generic", "generic"),  # an HWE kernel still says generic
        ("5.15.0-1045-aws", "aws"),
        ("6.8.0-1015-azure", "azure"),
        ("6.8.0-1014-gcp", "gcp"),
        ("6.8.0-1013-oracle", "oracle"),
        ("6.8.0-1017-nvidia", "nvidia"),
        ("6.8.0-1017-nvidia-64k", "nvidia-64k"),
        ("6.8.0-40-lowlatency", "lowlatency"),
        ("6.1.0-26-cloud-amd64", "cloud-amd64"),
        ("6.9.0", None),
        ("6.9.0-rc1", None),
        ("", None),
        (None, None),
    ],
)
def test_kernel_flavour(release, flavour):
    assert kernel_flavour(release) == flavour
