"""Realistic tool outputs kept under tests/detect/samples/<tool>/."""

from pathlib import Path

SAMPLES = Path(__file__).parent / "samples"


def sample(tool: str, name: str) -> str:
    return (SAMPLES / tool / name).read_text(encoding="utf-8")


def all_samples() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file())
