import pytest

from nvwizard.knowledge.architectures import (
    ARCHITECTURES,
    ID_RANGES,
    KNOWN_DEVICES,
    classify_gpu,
    marketing_name,
)


@pytest.mark.parametrize(
    ("device_id", "name", "architecture", "open_kernel", "chip"),
    [
        ("1180", "NVIDIA Corporation GK104 [GeForce GTX 680]", "Kepler", "unsupported", "GK104"),
        ("13c2", "GM204 [GeForce GTX 970]", "Maxwell", "unsupported", "GM204"),
        ("1b80", "NVIDIA Corporation GP104 [GeForce GTX 1080]", "Pascal", "unsupported", "GP104"),
        ("1db4", "GV100GL [Tesla V100 PCIe 16GB]", "Volta", "unsupported", "GV100GL"),
        ("1eb8", "TU104GL [Tesla T4]", "Turing", "supported", "TU104GL"),
        ("2204", "NVIDIA Corporation GA102 [GeForce RTX 3090]", "Ampere", "supported", "GA102"),
        ("2330", "GH100 [H100 SXM5 80GB]", "Hopper", "supported", "GH100"),
        ("2684", "AD102 [GeForce RTX 4090]", "Ada", "supported", "AD102"),
        ("2b85", "GB202 [GeForce RTX 5090]", "Blackwell", "required", "GB202"),
    ],
)
def test_every_architecture_from_its_chip_code(device_id, name, architecture, open_kernel, chip):
    found = classify_gpu(device_id, name)
    assert (found.architecture, found.open_kernel, found.chip) == (architecture, open_kernel, chip)


@pytest.mark.parametrize(
    ("device_id", "architecture", "open_kernel"),
    [
        ("1021", "Kepler", "unsupported"),
        ("1340", "Maxwell", "unsupported"),  # first Maxwell id, the installer's bound
        ("15f8", "Pascal", "unsupported"),  # P100 inside a Maxwell block
        ("17fd", "Maxwell", "unsupported"),
        ("1c82", "Pascal", "unsupported"),
        ("1dff", "Volta", "unsupported"),  # last id before the open-capable bound
        ("1e00", "Turing", "supported"),
        ("2182", "Turing", "supported"),  # TU116 (GTX 1660) sits after GA100
        ("20b2", "Ampere", "supported"),
        ("2331", "Hopper", "supported"),
        ("2504", "Ampere", "supported"),
        ("28ff", "Ada", "supported"),
        ("2900", "Blackwell", "required"),
        ("2e12", "Blackwell", "required"),  # an id newer than every table: open required
    ],
)
def test_architecture_from_the_device_id_alone(device_id, architecture, open_kernel):
    found = classify_gpu(device_id, None)
    assert (found.architecture, found.open_kernel) == (architecture, open_kernel)


def test_the_chip_code_wins_over_the_id_range():
    # An id inside the Turing block named as a GA chip: the name is the better evidence.
    assert classify_gpu("1f00", "GA102 [Some Future Name]").architecture == "Ampere"


def test_grace_hopper_requires_the_open_modules_unlike_h100():
    assert classify_gpu("2342", None).open_kernel == "required"
    assert classify_gpu("2342", None).grace_hopper
    assert classify_gpu("2345", "GH100 [GH200 144G HBM3e]").open_kernel == "required"
    assert classify_gpu("2330", None).open_kernel == "supported"


def test_pci_ids_without_a_space_before_the_bracket():
    # The Debian 2023 pci.ids really spells it "GH100[H100 SXM5 80GB]".
    found = classify_gpu("2330", "NVIDIA Corporation GH100[H100 SXM5 80GB] [10de:2330] (rev a1)")
    assert (found.chip, found.marketing_name) == ("GH100", "H100 SXM5 80GB")


def test_well_known_ids_are_named_when_lspci_cannot():
    found = classify_gpu("2b85", "NVIDIA Corporation Device 2b85")
    assert (found.marketing_name, found.chip, found.architecture) == (
        "GeForce RTX 5090",
        "GB202",
        "Blackwell",
    )
    assert classify_gpu("0x2204", None).marketing_name == "GeForce RTX 3090"
    assert classify_gpu(0x1B80, None).marketing_name == "GeForce GTX 1080"


def test_legacy_generations_carry_their_last_branch():
    assert classify_gpu("1b80", None).last_branch == 580
    assert classify_gpu("1180", None).last_branch == 470
    assert classify_gpu("2204", None).last_branch is None


def test_fermi_is_not_mistaken_for_kepler():
    # GF119 lives inside the span the installer calls "Kepler and older"; Fermi ends at 390.
    found = classify_gpu("1040", "GF119 [GeForce GT 520]")
    assert (found.architecture, found.open_kernel, found.chip, found.last_branch) == (
        "Fermi",
        "unsupported",
        "GF119",
        390,
    )


@pytest.mark.parametrize(
    ("device_id", "architecture", "last_branch"),
    [
        ("0dfc", "Fermi", 390),  # NVS 5200M (GF108GLM)
        ("1080", "Fermi", 390),  # GTX 580 (GF110)
        ("1140", "Fermi", 390),  # GF117M
        ("1244", "Fermi", 390),  # GF116
        ("06c0", "Fermi", 390),  # GTX 480 (GF100)
        ("0fc6", "Kepler", 470),  # GTX 650 (GK107)
        ("102d", "Kepler", 470),  # Tesla K80 (GK210)
        ("128b", "Kepler", 470),  # GT 710 (GK208B)
        ("11c6", "Kepler", 470),  # GTX 650 Ti (GK106)
        ("0640", "Tesla", 340),  # 9500 GT (G96)
        ("0a65", "Tesla", 340),  # GT 210 (GT218)
        ("0873", "Tesla", 340),  # ION (C79)
        ("0391", "Curie", 304),  # GeForce 7600 GT (G73)
        ("0322", "pre-Curie", 173),  # FX 5200 (NV34)
    ],
)
def test_old_generations_from_their_ids(device_id, architecture, last_branch):
    found = classify_gpu(device_id, None)
    assert (found.architecture, found.last_branch, found.open_kernel) == (
        architecture,
        last_branch,
        "unsupported",
    )


@pytest.mark.parametrize(
    ("name", "architecture", "chip"),
    [
        ("NVIDIA Corporation GK210GL [Tesla K80] (rev a1)", "Kepler", "GK210GL"),
        ("NVIDIA Corporation GF108GLM [NVS 5200M] (rev a1)", "Fermi", "GF108GLM"),
        ("NVIDIA Corporation G92 [GeForce 9800 GT] (rev a2)", "Tesla", "G92"),
        ("NVIDIA Corporation GT218 [GeForce 210] (rev a2)", "Tesla", "GT218"),
        ("NVIDIA Corporation C79 [ION] (rev b1)", "Tesla", "C79"),
        ("NVIDIA Corporation MCP89 [GeForce 320M] (rev a2)", "Tesla", "MCP89"),
        ("NVIDIA Corporation G73 [GeForce 7600 GT] (rev a2)", "Curie", "G73"),
        ("NVIDIA Corporation NV44 [GeForce 6200 TurboCache(TM)] (rev a1)", "Curie", "NV44"),
        ("NVIDIA Corporation C61 [GeForce 6150SE nForce 430] (rev a2)", "Curie", "C61"),
        ("NVIDIA Corporation NV34 [GeForce FX 5200] (rev a1)", "pre-Curie", "NV34"),
        ("NVIDIA Corporation GA100 [A100 PCIe 40GB] (rev a1)", "Ampere", "GA100"),
        ("NVIDIA Corporation AD107GLM [RTX 2000 Ada Generation Laptop GPU]", "Ada", "AD107GLM"),
        ("NVIDIA Corporation GB202 [GeForce RTX 5090] (rev a1)", "Blackwell", "GB202"),
    ],
)
def test_every_generation_from_its_chip_code_without_an_id(name, architecture, chip):
    found = classify_gpu(None, name)
    assert (found.architecture, found.chip) == (architecture, chip)


def test_per_product_minimum_branch():
    assert classify_gpu("2204", "GA102 [GeForce RTX 3090]").first_branch == 455
    assert classify_gpu("20b5", None).first_branch == 450  # A100: Ampere's first
    assert classify_gpu("2330", None).first_branch == 520  # H100 runs 520
    assert classify_gpu(None, "TU104 [GeForce RTX 2070 SUPER]").first_branch == 430
    assert classify_gpu("1b80", None).first_branch is None


@pytest.mark.parametrize("device_id", [None, "", "zzzz", "0x"])
def test_unreadable_ids_are_unknown_not_errors(device_id):
    found = classify_gpu(device_id, None)
    assert (found.architecture, found.open_kernel) == ("unknown", "unknown")


def test_chip_code_is_not_found_inside_other_words():
    assert classify_gpu(None, "[H100 SXM5 80GB]").chip is None
    assert classify_gpu(None, "GeForce GTX 1080").chip is None
    assert classify_gpu(None, "[RTX 6000 Ada Generation]").chip is None


def test_marketing_name_skips_id_and_class_brackets():
    line = "01:00.0 3D controller [0302]: NVIDIA Corporation TU104GL [Tesla T4] [10de:1eb8]"
    assert marketing_name(line) == "Tesla T4"
    assert (
        marketing_name("NVIDIA Corporation TU104GL [Tesla T4] [10de:1eb8] (rev a1)") == "Tesla T4"
    )
    assert marketing_name("NVIDIA Corporation Device 2b85 [10de:2b85]") is None


def test_tables_are_consistent():
    names = {a.name for a in ARCHITECTURES}
    assert all(r.architecture in names and r.source for r in ID_RANGES)
    ordered = sorted(ID_RANGES, key=lambda r: r.first)
    assert list(ID_RANGES) == ordered
    assert all(a.last < b.first for a, b in zip(ordered, ordered[1:], strict=False))
    for device in KNOWN_DEVICES:
        assert device.source
        assert (
            classify_gpu(device.device_id, None).architecture
            == classify_gpu(device.device_id, device.chip).architecture
        )
