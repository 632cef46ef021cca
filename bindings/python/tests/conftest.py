"""Shared fixtures: paths resolved from this file, never from the working
directory, and the native `mezon` command line for parity.

The native binary is $MEZON_CLI, else <workspace>/target/release/mezon
(bindings/python/test.sh builds it).
"""

import csv
import json
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import mezon

ROOT = Path(__file__).resolve().parents[3]
PACK_2016 = ROOT / "rules" / "uz-egov-quality" / "2016.1"
HOSTILE = ROOT / "test-data" / "packs" / "hostile" / "1.0"
EXAMPLE = ROOT / "examples" / "2016"


def cli_path() -> Path:
    path = Path(os.environ.get("MEZON_CLI", ROOT / "target" / "release" / "mezon"))
    if not path.is_file():
        pytest.fail(f"native CLI not found at {path}; build it with `cargo build --release -p mezon-cli` or set MEZON_CLI")
    return path


def run_cli(*args: str) -> str:
    """Runs the native CLI; exit 2 (some records invalid or failed) is a normal outcome."""
    done = subprocess.run([str(cli_path()), *args], capture_output=True, text=True, encoding="utf-8")
    if done.returncode not in (0, 2):
        raise AssertionError(f"mezon {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return done.stdout


@pytest.fixture(scope="session")
def pack() -> mezon.Pack:
    return mezon.Pack.load(PACK_2016)


@pytest.fixture(scope="session")
def golden(tmp_path_factory):
    """(input line, native result line) for every golden case of the 2016 pack."""
    work = tmp_path_factory.mktemp("golden")
    cases = work / "cases.jsonl"
    run_cli("test", str(PACK_2016), "--export-inputs", str(cases))
    native = run_cli("assess", "--pack", str(PACK_2016), "--input", str(cases), "--format", "jsonl")
    inputs = [l for l in cases.read_text(encoding="utf-8").splitlines() if l]
    outputs = [l for l in native.splitlines() if l]
    assert len(inputs) == len(outputs) > 0
    return list(zip(inputs, outputs))


def read_csv(path: Path, fields) -> list:
    """CSV rows as records, typed by the pack's input schema the way the
    engine reads CSV: empty cell = missing, numbers as exact Decimal."""
    types = {f["name"]: f["type"] for f in fields}
    convert = {
        "int": int,
        "number": Decimal,
        "bool": lambda s: {"true": True, "false": False}[s],
        "string": str,
    }
    records = []
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            record = {}
            for name, cell in row.items():
                if cell == "":
                    continue
                try:
                    record[name] = convert.get(types.get(name, "string"), str)(cell)
                except (ValueError, KeyError, ArithmeticError):
                    record[name] = cell  # stays text and fails validation, as in the engine
            records.append(record)
    return records


def loads(text: str):
    return json.loads(text, parse_float=Decimal)
