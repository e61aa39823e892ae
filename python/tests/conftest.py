"""Shared helpers of the Python tests (scripts/test's pytest stage runs them).

RTLAT_CLI names the rtlat binary whose JSON the module must match (default: build/examples/rtlat);
the module itself is found on PYTHONPATH (BUILD/python)."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def cli_path() -> str:
    return os.environ.get("RTLAT_CLI", str(ROOT / "build" / "examples" / "rtlat"))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([cli_path(), *args], capture_output=True, text=True, check=False)


def skip_or_fail(reason: str) -> None:
    """A skip, except under RTLAT_TEST_NO_SKIP=1 (scripts/test), where it is a failure."""
    if os.environ.get("RTLAT_TEST_NO_SKIP") == "1":
        pytest.fail(f"would skip under RTLAT_TEST_NO_SKIP=1: {reason}")
    pytest.skip(reason)


def traces():
    """Every recording in data/: the case traces, the demo and the format samples."""
    return sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix in (".dat", ".txt"))
