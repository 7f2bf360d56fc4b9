import pytest

from nvwizard.detect.lspci import normalise_pci_address, parse_lspci

from ._samples import sample


def nvidia(devices):
    return [d for d in devices if d.vendor_id == "10de"]


def test_nn_k_desktop_with_subsystem_driver_and_modules():
    devices = parse_lspci(sample("lspci", "lspci-nn-k-rtx3090.txt"))
    assert len(devices) == 6
    gpu = devices[3]
    assert (gpu.address, gpu.vendor_id, gpu.device_id, gpu.class_code) == (
        "0000:01:00.0",
        "10de",
        "2204",
        "0300",
    )
    assert gpu.description == "NVIDIA Corporation GA102 [GeForce RTX 3090]"
    assert gpu.subsystem == "ASUSTeK Computer Inc. GA102 [GeForce RTX 3090] [1043:87b3]"
    assert gpu.driver_in_use == "nouveau"
    assert gpu.kernel_modules == ("nvidiafb", "nouveau")
    # vendor names with brackets do not confuse the id search
    assert (devices[0].vendor_id, devices[0].device_id) == ("1022", "1480")
    assert devices[0].description == (
        "Advanced Micro Devices, Inc. [AMD] Starship/Matisse Root Complex"
    )
    assert devices[1].driver_in_use == "pcieport" and devices[1].kernel_modules == ()


def test_domain_addresses_3d_controllers_and_nvswitch_bridges():
    devices = parse_lspci(sample("lspci", "lspci-nn-hgx-h100-domain.txt"))
    gpus = [d for d in devices if d.class_code == "0302"]
    bridges = [d for d in devices if d.class_code == "0680"]
    assert len(gpus) == 8 and len(bridges) == 4
    assert gpus[0].address == "0000:18:00.0"
    assert {d.device_id for d in gpus} == {"2330"}
    assert bridges[0].description == "NVIDIA Corporation GH100 [H100 NVSwitch]"
    assert devices[-1].address == "10000:e1:00.0"  # a VMD domain keeps its 5 digits


def test_grep_filtered_paste_with_prompts():
    [gpu] = parse_lspci(sample("lspci", "lspci-grep-nvidia.txt"))
    assert (gpu.address, gpu.device_id, gpu.class_code) == ("0000:00:1e.0", "1eb8", "0302")
    assert gpu.description == "NVIDIA Corporation TU104GL [Tesla T4]"


def test_plain_lspci_keeps_nvidia_devices_by_class_and_name():
    devices = parse_lspci(sample("lspci", "lspci-plain.txt"))
    assert [(d.address, d.device_id, d.class_code, d.description) for d in devices] == [
        ("0000:01:00.0", None, "0300", "NVIDIA Corporation GP104 [GeForce GTX 1080]"),
        ("0000:01:00.1", None, "0403", "NVIDIA Corporation GP104 High Definition Audio Controller"),
    ]  # the Cirrus and Intel lines have no ids and are not NVIDIA: skipped


def test_lspci_v_tesla_k80_with_detail_lines():
    [k80] = parse_lspci(sample("lspci", "lspci-v-tesla-k80.txt"))
    assert (k80.address, k80.class_code, k80.device_id) == ("0000:00:1e.0", "0302", None)
    assert k80.description == "NVIDIA Corporation GK210GL [Tesla K80]"
    assert k80.subsystem == "NVIDIA Corporation GK210GL [Tesla K80]"
    assert k80.kernel_modules == ("nvidiafb", "nvidia_drm", "nvidia")


def test_grep_filtered_turing_card_keeps_its_functions_by_class():
    devices = parse_lspci(sample("lspci", "lspci-grep-nvidia-turing.txt"))
    assert [(d.address, d.class_code) for d in devices] == [
        ("0000:01:00.0", "0300"),
        ("0000:01:00.1", "0403"),
        ("0000:01:00.2", "0c03"),
    ]  # the UCSI line names its class "[0c80]" like -nn but has no ids: skipped


def test_lspci_vk_prog_if_and_optimus_laptop():
    devices = nvidia(parse_lspci(sample("lspci", "lspci-vk-optimus-fermi.txt")))
    [gpu] = devices
    assert gpu.description == "NVIDIA Corporation GF108GLM [NVS 5200M]"
    assert (gpu.driver_in_use, gpu.kernel_modules) == ("nouveau", ("nvidiafb", "nouveau"))


def test_plain_lines_unknown_devices_old_vendor_spelling_and_bridges():
    devices = parse_lspci(sample("lspci", "lspci-plain-mixed.txt"))
    assert [(d.device_id, d.class_code) for d in devices] == [
        (None, "0302"),
        (None, "0302"),
        (None, "0302"),
        ("2b85", "0300"),  # pci.ids too old to name it: "Device 2b85" is the id
        (None, "0300"),  # "nVidia Corporation", as old lspci spells it
        ("22a3", "0680"),  # an NVSwitch bridge
    ]


def test_numeric_lspci_n():
    devices = nvidia(parse_lspci(sample("lspci", "lspci-n.txt")))
    assert [(d.address, d.device_id, d.class_code, d.description) for d in devices] == [
        ("0000:01:00.0", "1b80", "0300", None),
        ("0000:01:00.1", "10f0", "0403", None),
    ]


def test_lost_indentation_crlf_and_trailing_spaces():
    devices = parse_lspci(sample("lspci", "lspci-k-lost-indent-crlf.txt"))
    assert [d.address for d in devices] == ["0000:41:00.0", "0000:41:00.1"]
    gpu = devices[0]
    assert (gpu.device_id, gpu.driver_in_use) == ("2b85", "nvidia")
    assert gpu.kernel_modules == ("nvidiafb", "nouveau", "nvidia_drm", "nvidia")
    assert gpu.description == "NVIDIA Corporation GB202 [GeForce RTX 5090]"
    assert devices[1].description == "NVIDIA Corporation Device"


def test_truncated_line_without_ids_is_skipped_and_detail_lines_not_misattached():
    text = (
        "01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GA102 [GeFor\n"
        "\tKernel driver in use: nvidia\n"
        "02:00.0 3D controller [0302]: NVIDIA Corporation GA100 [A100 PCIe 40GB] [10de:20f1]\n"
    )
    [device] = parse_lspci(text)
    assert (device.address, device.device_id, device.driver_in_use) == (
        "0000:02:00.0",
        "20f1",
        None,
    )


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("01:00.0", "0000:01:00.0"),
        ("0000:01:00.0", "0000:01:00.0"),
        ("00000000:2A:00.0", "0000:2a:00.0"),
        ("0001:C1:00.7", "0001:c1:00.7"),
        ("01:00.8", None),
        ("1:00.0", None),
        ("01:00", None),
        ("Subsystem:", None),
        ("", None),
    ],
)
def test_normalise_pci_address(token, expected):
    assert normalise_pci_address(token) == expected


def test_grep_context_separators_between_k_groups():
    text = (
        "$ lspci -nnk | grep -A3 -i nvidia\n"
        "17:00.0 3D controller [0302]: NVIDIA Corporation GA100 [A100 PCIe 40GB] "
        "[10de:20f1] (rev a1)\n"
        "\tSubsystem: NVIDIA Corporation Device [10de:145f]\n"
        "\tKernel driver in use: nvidia\n"
        "\tKernel modules: nvidiafb, nouveau, nvidia_drm, nvidia\n"
        "--\n"
        "65:00.0 3D controller [0302]: NVIDIA Corporation GA100 [A100 PCIe 40GB] "
        "[10de:20f1] (rev a1)\n"
        "\tSubsystem: NVIDIA Corporation Device [10de:145f]\n"
        "\tKernel modules: nvidiafb, nouveau, nvidia_drm, nvidia\n"
    )
    devices = parse_lspci(text)
    assert [(d.address, d.driver_in_use) for d in devices] == [
        ("0000:17:00.0", "nvidia"),
        ("0000:65:00.0", None),
    ]
    assert devices[1].kernel_modules == ("nvidiafb", "nouveau", "nvidia_drm", "nvidia")
