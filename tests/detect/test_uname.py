import pytest

from nvwizard.detect.uname import kernel_flavour, parse_uname_r


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
