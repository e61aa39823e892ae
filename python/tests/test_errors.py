"""Bad input raises rtlat.InputError naming the file, with the CLI's message."""

import pytest

import rtlat
from conftest import DATA, run_cli


def check_input_error(path):
    with pytest.raises(rtlat.InputError) as e:
        rtlat.analyze(str(path))
    assert e.value.file == str(path)
    assert str(e.value).startswith(str(path) + ": ")
    assert e.value.reason and e.value.reason in str(e.value)
    assert isinstance(e.value, rtlat.Error)
    cli = run_cli("report", str(path))
    assert cli.returncode == 2
    assert cli.stderr.strip() == "rtlat: " + str(e.value)
    return e.value


def test_truncated_tracedat(tmp_path):
    path = tmp_path / "truncated.dat"
    path.write_bytes((DATA / "misprio.dat").read_bytes()[:100_000])
    e = check_input_error(path)
    assert "extends past the end of the file" in e.reason


def test_random_bytes(tmp_path):
    path = tmp_path / "random.bin"
    with open("/dev/urandom", "rb") as f:
        path.write_bytes(f.read(1 << 20))
    check_input_error(path)


def test_missing_file(tmp_path):
    e = check_input_error(tmp_path / "nope.dat")
    assert "cannot open" in e.reason
