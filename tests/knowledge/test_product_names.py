"""GPUs known only by the name nvidia-smi prints (a bundle of nvidia-smi.txt alone: no PCI id,
no chip code) get their generation from the product name (knowledge/product_names.py)."""

from __future__ import annotations

import pytest

from nvwizard.knowledge.architectures import OPEN_REQUIRED, OPEN_SUPPORTED, classify_gpu
from nvwizard.knowledge.product_names import PRODUCT_PATTERNS, architecture_from_product

# (the name as nvidia-smi prints it, its generation)
NAMES = [
    ("NVIDIA H100 80GB HBM3", "Hopper"),
    ("NVIDIA H100 PCIe", "Hopper"),
    ("NVIDIA H100 NVL", "Hopper"),
    ("NVIDIA H200", "Hopper"),
    ("NVIDIA H20", "Hopper"),
    ("NVIDIA A100-SXM4-80GB", "Ampere"),  # not the Maxwell "M4" in SXM4
    ("NVIDIA A100-SXM4-40GB", "Ampere"),
    ("NVIDIA A100 80GB PCIe", "Ampere"),
    ("NVIDIA A800-SXM4-80GB", "Ampere"),
    ("NVIDIA A10", "Ampere"),
    ("NVIDIA A10G", "Ampere"),
    ("NVIDIA A2", "Ampere"),
    ("NVIDIA RTX A6000", "Ampere"),
    ("NVIDIA RTX A2000 12GB", "Ampere"),
    ("NVIDIA GeForce RTX 3090", "Ampere"),
    ("NVIDIA GeForce RTX 3060 Laptop GPU", "Ampere"),
    ("Tesla V100-SXM2-32GB", "Volta"),
    ("Tesla V100S-PCIE-32GB", "Volta"),
    ("NVIDIA TITAN V", "Volta"),
    ("NVIDIA GeForce RTX 4090", "Ada"),
    ("NVIDIA GeForce RTX 4070 Ti SUPER", "Ada"),
    ("NVIDIA L4", "Ada"),
    ("NVIDIA L40", "Ada"),
    ("NVIDIA L40S", "Ada"),
    ("NVIDIA RTX 6000 Ada Generation", "Ada"),
    ("Tesla T4", "Turing"),
    ("GRID T4-16Q", "Turing"),  # a vGPU profile
    ("NVIDIA T1000 8GB", "Turing"),
    ("Quadro RTX 6000", "Turing"),  # not the Ada "RTX 6000 Ada Generation"
    ("NVIDIA TITAN RTX", "Turing"),
    ("NVIDIA GeForce RTX 2080 SUPER", "Turing"),
    ("NVIDIA GeForce GTX 1660 Ti", "Turing"),
    ("NVIDIA GeForce GTX 1080", "Pascal"),
    ("NVIDIA GeForce GTX 1080 Ti", "Pascal"),
    ("Tesla P100-PCIE-16GB", "Pascal"),
    ("Tesla P4", "Pascal"),
    ("Quadro P4000", "Pascal"),
    ("NVIDIA TITAN X (Pascal)", "Pascal"),
    ("NVIDIA TITAN Xp", "Pascal"),
    ("Tesla M60", "Maxwell"),
    ("Tesla M40 24GB", "Maxwell"),
    ("NVIDIA GeForce GTX 750 Ti", "Maxwell"),
    ("NVIDIA GeForce GTX TITAN X", "Maxwell"),  # not the Kepler GTX TITAN
    ("Tesla K80", "Kepler"),
    ("Tesla K40m", "Kepler"),
    ("NVIDIA GeForce GTX 780", "Kepler"),
    ("NVIDIA GeForce GTX TITAN Black", "Kepler"),
    ("NVIDIA GeForce RTX 5090", "Blackwell"),
    ("NVIDIA B200", "Blackwell"),
    ("NVIDIA GB200", "Blackwell"),
    ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "Blackwell"),
]


@pytest.mark.parametrize(("name", "generation"), NAMES)
def test_nvidia_smi_s_product_names_map_to_their_generation(name, generation):
    assert architecture_from_product(name) == generation
    assert classify_gpu(None, name).architecture == generation


def test_names_that_say_nothing_stay_unknown():
    for name in ("NVIDIA Graphics Device", "NVIDIA GeForce GT 730", "", None, "Device 2b85"):
        assert architecture_from_product(name) is None
        assert classify_gpu(None, name).architecture == "unknown"


def test_the_product_name_brings_the_branches_and_the_modules_with_it():
    h100 = classify_gpu(None, "NVIDIA H100 80GB HBM3")
    assert (h100.open_kernel, h100.first_branch) == (OPEN_SUPPORTED, 520)
    assert classify_gpu(None, "NVIDIA GeForce RTX 3090").first_branch == 455  # not Ampere's 450
    assert classify_gpu(None, "NVIDIA GeForce RTX 5090").open_kernel == OPEN_REQUIRED
    gh200 = classify_gpu(None, "NVIDIA GH200 480GB")
    assert (gh200.architecture, gh200.open_kernel) == ("Hopper", OPEN_REQUIRED)
    assert classify_gpu(None, "Tesla K80").last_branch == 470
    assert classify_gpu(None, "NVIDIA GeForce GTX 1080").last_branch == 580


def test_a_pci_name_or_id_still_decides_first():
    # the chip code wins over a product word in the name; a known id over nothing
    assert classify_gpu(None, "NVIDIA Corporation TU104GL [Tesla T4]").chip == "TU104GL"
    assert classify_gpu("2330", None).architecture == "Hopper"


def test_every_row_has_examples_it_matches():
    for row in PRODUCT_PATTERNS:
        for example in row.examples.split(", "):
            assert architecture_from_product(example) == row.architecture, example
