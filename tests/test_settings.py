"""testbench.runner.settings: the one typed object the runner hands the simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbench.model import CoreShape
from testbench.runner.settings import ENV_VAR, SimOptions, SimSettings


def test_round_trip_through_the_environment() -> None:
    s = SimSettings(backend="numpy", seed=7, scale=0.5, sim="icarus", stats=Path("/t/s.jsonl"),
                    dump_dir=Path("/t"), wmem_file="w.dat", core=CoreShape(5, 3, 8, 64),
                    options=SimOptions(fuzz_examples=60, layer_file="/t/l.npz", emu_bug="rem"))
    env = s.env()
    assert list(env) == [ENV_VAR]
    assert SimSettings.from_env(env) == s


def test_missing_variable_says_how_to_run() -> None:
    with pytest.raises(RuntimeError, match="SCTB_SETTINGS is not set.*sctb sim"):
        SimSettings.from_env({})


@pytest.mark.parametrize("text, match", [
    ("not json", "not JSON"),
    ("[1]", "expected a JSON object"),
    ('{"bogus": 1}', r"unknown fields \['bogus'\]"),
    ('{"seed": "1"}', "seed must be an int"),
    ('{"scale": 0}', "scale must be > 0"),
    ('{"core": {"n_in": 1}}', "n_out"),
    ('{"options": {"fuzz_examples": 0}}', "fuzz_examples must be > 0"),
    ('{"options": {"fuzz_time": true}}', "fuzz_time must be a float"),
    ('{"options": {"nope": 1}}', r"unknown fields \['nope'\]"),
])
def test_bad_settings_are_rejected_with_the_field(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        SimSettings.from_json(text)


def test_options_coerce_and_tag() -> None:
    assert SimOptions.coerce(None) == SimOptions()
    opts = SimOptions.coerce({"emu_bug": "comparator", "layer_file": Path("/x/l.npz")})
    assert opts.layer_file == "/x/l.npz"
    tag = opts.tag()
    assert tag.startswith("-emu_bug=comparator-o") and "/x" not in tag
    assert SimOptions().tag() == ""
    with pytest.raises(TypeError, match="options must be a SimOptions"):
        SimOptions.coerce(3)
    with pytest.raises(TypeError, match="fuzz_examples must be an int"):
        SimOptions(fuzz_examples=True)
    assert json.loads(SimSettings(options=opts).to_json())["options"]["emu_bug"] == "comparator"
