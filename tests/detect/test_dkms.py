from nvwizard.detect.dkms import parse_dkms_status
from nvwizard.detect.models import DkmsModule

from ._samples import sample


def test_dkms_3_status_with_noise_and_added_only_modules():
    rows = parse_dkms_status(sample("misc", "dkms-status.txt"))
    assert rows == [
        DkmsModule("nvidia", "580.95.05", "6.8.0-87-generic", "installed"),
        DkmsModule("nvidia", "580.95.05", "6.8.0-90-generic", "built"),
        DkmsModule("virtualbox", "7.0.16", "6.8.0-87-generic", "installed"),
    ]
    assert rows[0].kernel == "6.8.0-87-generic" and rows[1].status == "built"


def test_dkms_2_layout_and_crlf():
    text = "nvidia, 470.82.00, 5.4.0-91-generic, x86_64: installed\r\n"
    assert parse_dkms_status(text) == [("nvidia", "470.82.00", "5.4.0-91-generic", "installed")]


def test_empty_and_garbage():
    assert parse_dkms_status("") == []
    assert parse_dkms_status(", , : installed\n:\n") == []
