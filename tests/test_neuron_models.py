"""golden.get_neuron: the neuron selector; every model it hands out equals the NumPy floor."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import golden
from golden import LifParams, LifState
from tests.support import required_backends


def _model_or_skip(name: str) -> golden.NeuronModel:
    try:
        return golden.get_neuron(name)
    except RuntimeError as exc:
        if name in required_backends():
            pytest.fail(f"neuron model {name!r} is required (SCTB_REQUIRE_BACKENDS): {exc}")
        pytest.skip(str(exc))


def test_names_and_bad_names() -> None:
    assert golden.neuron_names() == ["jax", "numpy", "rust"]
    assert golden.NEURON_PRIORITY == ("rust", "jax", "numpy")
    with pytest.raises(ValueError,
                       match="unknown neuron model 'cuda'; valid names: auto, rust, jax, numpy"):
        golden.get_neuron("cuda")
    with pytest.raises(TypeError, match="name must be a str, got int 3"):
        golden.get_neuron(3)


def test_auto_and_availability_follow_the_backend_convention() -> None:
    avail = golden.available_neurons()
    assert list(avail) == list(golden.NEURON_PRIORITY) and avail["numpy"] is True
    status = golden.neuron_status()
    assert all((reason is None) == avail[n] for n, reason in status.items())
    assert all(isinstance(r, str) and r for r in status.values() if r is not None)
    first = next(n for n, ok in avail.items() if ok)
    assert golden.get_neuron().name == first
    assert golden.get_neuron("auto") is golden.get_neuron(first)
    assert isinstance(golden.get_neuron("numpy"), golden.NeuronModel)
    assert repr(golden.get_neuron("numpy")) == "<NumpyNeuron 'numpy'>"


def test_known_but_unavailable_raises_runtime_error(monkeypatch) -> None:
    from golden import _neuron_models

    monkeypatch.setitem(_neuron_models._REGISTRY, "ghost", "golden._no_such_module:Ghost")
    monkeypatch.setattr(_neuron_models, "NEURON_PRIORITY", ("ghost",) + golden.NEURON_PRIORITY)
    assert "golden._no_such_module cannot be imported" in golden.neuron_status()["ghost"]
    assert golden.available_neurons()["ghost"] is False
    with pytest.raises(RuntimeError, match="neuron model 'ghost' is not available"):
        golden.get_neuron("ghost")
    assert golden.get_neuron().name != "ghost"


@pytest.mark.parametrize("name", ["numpy", "jax", "rust"])
def test_model_equals_floor(name: str) -> None:
    model = _model_or_skip(name)
    assert model.name == name
    rng = np.random.default_rng(11)
    n, T = 37, 50
    params = LifParams(v_rest=-300, v_reset=-500, v_th=700, leak=40, gain=300, refractory=2)
    counts = rng.integers(0, 1000, size=n)
    want_i = golden.dot_to_current(counts, 1000, 800, -900)
    got_i = model.dot_to_current(counts, 1000, 800, -900)
    assert got_i.dtype == np.int16 and np.array_equal(got_i, want_i)
    state = LifState(rng.integers(-2000, 2000, size=n).astype(np.int16), np.zeros(n, np.int32))
    currents = rng.integers(-3000, 4000, size=(T, n))
    noise = rng.integers(-50, 50, size=(T, n))
    want = golden.lif_run(state, currents, params, noise)
    got = model.lif_run(state, currents, params, noise)
    assert np.array_equal(got[0].v, want[0].v) and np.array_equal(got[0].ref, want[0].ref)
    assert np.array_equal(got[1], want[1]) and np.array_equal(got[2], want[2])
    assert want[1].any(), "the run should spike somewhere"
    s1, sp1 = model.lif_step(state, currents[0], params, noise[0])
    s0, sp0 = golden.lif_step(state, currents[0], params, noise[0])
    assert np.array_equal(s1.v, s0.v) and np.array_equal(sp1, sp0)
    with pytest.raises(ValueError, match="current must have shape"):
        model.lif_step(state, currents[0][:-1], params)


def test_selector_imports_no_engine() -> None:
    code = ("import sys, golden; golden.get_neuron('numpy'); "
            "print(sorted(m for m in ('jax', 'golden.backends.neuron_jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
