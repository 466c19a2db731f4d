"""The bit-true Q8.8 neuron in JAX (int64 in a thread-local x64 scope), bit-identical to NumPy."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._neuron import Q88_MAX, Q88_MIN, LifParams, LifState
from .._neuron_models import NeuronModel
from .sc_jax import x64_scope

__all__ = ["JaxNeuron"]


@jax.jit
def _current_kernel(c: jax.Array, n_in: jax.Array, y_min: jax.Array, y_max: jax.Array) -> jax.Array:
    return y_min + jnp.floor_divide((y_max - y_min) * c, n_in)


def _step(p: jax.Array, v: jax.Array, ref: jax.Array, cur: jax.Array,
          nz: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    v_rest, v_reset, v_th, leak, gain, refractory = p
    d_leak = jnp.right_shift((v_rest - v) * leak, 8)   # arithmetic shift on int64: floor
    d_in = jnp.right_shift(cur * gain, 8)
    v_new = jnp.clip(v + d_leak + d_in + nz, Q88_MIN, Q88_MAX)
    hold = ref > 0
    spikes = (v_new >= v_th) & ~hold
    v_out = jnp.where(hold | spikes, v_reset, v_new)
    ref_out = jnp.where(hold, ref - 1, jnp.where(spikes, refractory, 0))
    return v_out, ref_out, spikes


@jax.jit
def _run_kernel(p: jax.Array, v: jax.Array, ref: jax.Array, cur: jax.Array,
                nz: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    def body(carry: tuple[jax.Array, jax.Array], xs: tuple[jax.Array, jax.Array]) -> Any:
        v, ref = carry
        v, ref, s = _step(p, v, ref, *xs)
        return (v, ref), (s, v)

    (v, ref), (spikes, trace) = lax.scan(body, (v, ref), (cur, nz))
    return v, ref, spikes, trace


def _params_array(params: LifParams) -> jax.Array:
    return jnp.asarray(np.array(params, dtype=np.int64))


class JaxNeuron(NeuronModel):
    """The bit-true neuron in JAX: ``lax.scan`` over steps, int64 in a thread-local x64 scope."""

    name = "jax"

    def _dot_to_current_impl(self, c: np.ndarray, n_in: int, y_min: int, y_max: int) -> Any:
        with x64_scope():
            out = _current_kernel(jnp.asarray(c), jnp.int64(n_in), jnp.int64(y_min),
                                  jnp.int64(y_max))
            return np.asarray(out).astype(np.int16)

    def _lif_run_impl(
        self, params: LifParams, v: np.ndarray, ref: np.ndarray, cur: np.ndarray,
        nz: np.ndarray | None,
    ) -> tuple[LifState, np.ndarray, np.ndarray]:
        if nz is None:
            nz = np.zeros_like(cur)
        with x64_scope():
            v2, ref2, spikes, trace = _run_kernel(
                _params_array(params), jnp.asarray(v), jnp.asarray(ref), jnp.asarray(cur),
                jnp.asarray(nz))
            return (LifState(np.asarray(v2).astype(np.int16), np.asarray(ref2).astype(np.int32)),
                    np.asarray(spikes).astype(bool), np.asarray(trace).astype(np.int16))
