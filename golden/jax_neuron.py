"""SC-NeuroCore's float JAX neuron API: LIF step, multi-layer LIF forward pass, surrogate training.

This is float JAX (not bit-true); the bit-true neuron is ``golden.lif_step`` (docs/contract.md
section 9). Importing this module imports JAX; ``import golden`` does not import it. JAX's global
``jax_enable_x64`` flag is never changed: arrays keep JAX's default float width unless the caller
enables 64-bit types (e.g. ``golden.backends.sc_jax.x64_scope()``).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "SURROGATE_PATHS",
    "jax_forward_pass",
    "jax_lif_step",
    "jax_surrogate_gradient_step",
    "jax_surrogate_loss",
]

SURROGATE_PATHS = ("custom_vjp", "legacy_stop_gradient")


# ------------------------------------------------------------------------------------- guards
def _scalar(value: Any, name: str, *, positive: bool = False) -> float:
    """A finite real Python/NumPy/0-d scalar as float (bool, complex and strings refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.integer, np.floating, np.ndarray, jax.Array)
    ):
        raise TypeError(f"{name} must be a real scalar, got {type(value).__name__} {value!r}")
    if isinstance(value, (np.ndarray, jax.Array)):
        if value.ndim != 0 or value.dtype.kind not in "iuf":
            raise TypeError(f"{name} must be a real scalar, got array of shape {value.shape} "
                            f"and dtype {value.dtype}")
        value = value.item()
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0.0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = operator.index(value)
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return value


def _array(value: Any, name: str, *, ndim: int | None = None,
           shape: tuple[int, ...] | None = None) -> jax.Array:
    """A finite real (float or int) array as a JAX float array, rank/shape checked."""
    dtype = value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype
    kind = dtype.kind
    if kind not in "iuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {dtype}")
    arr = jnp.asarray(value)
    if kind != "f":
        arr = arr.astype(jnp.result_type(float))
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    if shape is not None and arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (the shape of v), got {arr.shape}")
    # values are only known outside tracing (jax.grad / jit of a caller): then check them
    if not isinstance(arr, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(arr))):
        raise ValueError(f"{name} must be finite, got a NaN or infinity")
    return arr


def _weights(weights: Any, n_in: int) -> list[jax.Array]:
    if isinstance(weights, (str, bytes)) or not isinstance(weights, Sequence) or not weights:
        raise TypeError(f"weights must be a non-empty list of 2-D (n_out, n_in) arrays, got "
                        f"{type(weights).__name__}")
    out = []
    for k, w in enumerate(weights):
        arr = _array(w, f"weights[{k}]", ndim=2)
        if arr.shape[1] != n_in:
            raise ValueError(f"weights[{k}] has n_in={arr.shape[1]} but its input has "
                             f"{n_in} features")
        out.append(arr)
        n_in = arr.shape[0]
    return out


def _path(surrogate_path: Any) -> str:
    if surrogate_path not in SURROGATE_PATHS:
        raise ValueError(f"surrogate_path must be one of {', '.join(SURROGATE_PATHS)}, got "
                         f"{surrogate_path!r}")
    return surrogate_path


# ------------------------------------------------------------------------------------- LIF step
def jax_lif_step(v: Any, I_t: Any, v_rest: Any, v_reset: Any, v_threshold: Any, alpha: Any,
                 resistance: Any, noise: Any) -> tuple[jax.Array, jax.Array]:
    """One float LIF step: ``v' = v + (v_rest - v) * alpha + I_t * resistance + noise``.

    A neuron spikes when ``v' >= v_threshold`` and its membrane becomes ``v_reset``.

    Parameters
    ----------
    v, I_t, noise : array_like
        Real arrays of one shape (membrane, input current, additive noise), finite.
    v_rest, v_reset, v_threshold : float
        Finite real scalars.
    alpha, resistance : float
        Positive finite scalars (leak rate per step, input resistance).

    Returns
    -------
    v_new : jax.Array
        Float, the shape of ``v``.
    spikes : jax.Array
        uint8 {0, 1}, the shape of ``v``.
    """
    v_rest = _scalar(v_rest, "v_rest")
    v_reset = _scalar(v_reset, "v_reset")
    v_threshold = _scalar(v_threshold, "v_threshold")
    alpha = _scalar(alpha, "alpha", positive=True)
    resistance = _scalar(resistance, "resistance", positive=True)
    v = _array(v, "v")
    I_t = _array(I_t, "I_t", shape=v.shape)
    noise = _array(noise, "noise", shape=v.shape)
    return _lif_step(v, I_t, noise, v_rest, v_reset, v_threshold, alpha, resistance)


@jax.jit
def _lif_step(v: jax.Array, I_t: jax.Array, noise: jax.Array, v_rest: float, v_reset: float,
              v_threshold: float, alpha: float, resistance: float) -> tuple[jax.Array, jax.Array]:
    v_new = v + (v_rest - v) * alpha + I_t * resistance + noise
    spikes = v_new >= v_threshold
    return jnp.where(spikes, jnp.asarray(v_reset, v_new.dtype), v_new), spikes.astype(jnp.uint8)


# ---------------------------------------------------------------------------- spike functions
@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _spike_fast_sigmoid(u: jax.Array, beta: float) -> jax.Array:
    """Heaviside ``u >= 0`` forward; fast-sigmoid derivative ``1 / (1 + beta |u|)**2`` backward."""
    return (u >= 0).astype(u.dtype)


def _spike_fwd(u: jax.Array, beta: float) -> tuple[jax.Array, jax.Array]:
    return _spike_fast_sigmoid(u, beta), u


def _spike_bwd(beta: float, u: jax.Array, g: jax.Array) -> tuple[jax.Array]:
    return (g / (1.0 + beta * jnp.abs(u)) ** 2,)


_spike_fast_sigmoid.defvjp(_spike_fwd, _spike_bwd)


def _spike_straight_through(u: jax.Array, beta: float) -> jax.Array:
    """Heaviside forward; the derivative of ``u / (1 + beta |u|)`` (the same fast sigmoid)
    backward, by the stop-gradient trick."""
    soft = u / (1.0 + beta * jnp.abs(u))
    return soft + jax.lax.stop_gradient((u >= 0).astype(u.dtype) - soft)


def _spike_smooth(u: jax.Array, beta: float) -> jax.Array:
    """A smooth stand-in (``sigmoid(beta u)``, forward and backward): lets tests check the
    network's backpropagation wiring against finite differences."""
    return jax.nn.sigmoid(beta * u)


# ------------------------------------------------------------------------------ forward pass
def _run(weights: list[jax.Array], x: jax.Array, n_steps: int, v_rest: float, v_reset: float,
         v_threshold: float, alpha: float, spike: Any, beta: float,
         detach_reset: bool) -> tuple[list[jax.Array], jax.Array]:
    """The LIF network over ``n_steps`` (``lax.scan``); returns spike trains and final v."""
    batch = x.shape[0]
    v0 = [jnp.full((batch, w.shape[0]), v_rest, dtype=x.dtype) for w in weights]

    def body(vs: list[jax.Array], _: Any) -> tuple[list[jax.Array], list[jax.Array]]:
        s_in, new_vs, trains = x, [], []
        for w, v in zip(weights, vs, strict=True):
            v = v_rest + alpha * (v - v_rest) + s_in @ w.T
            s = spike(v - v_threshold, beta)
            r = jax.lax.stop_gradient(s) if detach_reset else s
            v = v * (1.0 - r) + v_reset * r   # reset where this neuron spiked
            new_vs.append(v)
            trains.append(s)
            s_in = s
        return new_vs, trains

    vs, trains = jax.lax.scan(body, v0, None, length=n_steps)
    return list(trains), vs[-1]


@functools.partial(jax.jit, static_argnums=(2,))
def _forward_hard(weights: list[jax.Array], x: jax.Array, n_steps: int, v_rest: float,
                  v_reset: float, v_threshold: float, alpha: float) -> Any:
    return _run(weights, x, n_steps, v_rest, v_reset, v_threshold, alpha,
                lambda u, b: (u >= 0).astype(u.dtype), 0.0, False)


def jax_forward_pass(weights: Any, x: Any, n_steps: Any, v_rest: Any = 0.0, v_reset: Any = 0.0,
                     v_threshold: Any = 1.0, alpha: Any = 0.9) -> tuple[list[jax.Array], jax.Array]:
    """Multi-layer LIF network driven by a constant input for ``n_steps`` steps.

    Each step, layer by layer (layer ``k`` sees layer ``k-1``'s spikes of the same step; layer 0
    sees ``x``): ``v = v_rest + alpha * (v - v_rest) + s_prev @ W.T``; ``s = (v >= v_threshold)``;
    ``v = v * (1 - s) + v_reset * s``. Membranes start at ``v_rest``. With ``v_rest = v_reset =
    0`` this is SC-NeuroCore's dynamics; upstream multiplies the membrane by ``1 - v_reset``
    instead of resetting where ``s = 1``, which differs whenever ``v_reset != 0``.

    Parameters
    ----------
    weights : list of array_like
        Layer ``k``: ``(n_out_k, n_in_k)`` with ``n_in_0 = x.shape[1]`` and
        ``n_in_k = n_out_{k-1}``.
    x : array_like
        ``(batch, n_in_0)`` input currents (e.g. rates or spikes), finite.
    n_steps : int
        Positive number of steps.
    v_rest, v_reset, v_threshold : float
        Finite scalars.
    alpha : float
        Positive finite decay per step (``v - v_rest`` is multiplied by it).

    Returns
    -------
    spike_trains : list of jax.Array
        Layer ``k``: float ``(n_steps, batch, n_out_k)`` of 0.0 / 1.0.
    v_final : jax.Array
        Float ``(batch, n_out_last)``: the last layer's membrane after the last step.
    """
    n_steps = _positive_int(n_steps, "n_steps")
    v_rest = _scalar(v_rest, "v_rest")
    v_reset = _scalar(v_reset, "v_reset")
    v_threshold = _scalar(v_threshold, "v_threshold")
    alpha = _scalar(alpha, "alpha", positive=True)
    x = _array(x, "x", ndim=2)
    w = _weights(weights, x.shape[1])
    return _forward_hard(w, x, n_steps, v_rest, v_reset, v_threshold, alpha)


# ------------------------------------------------------------------------ surrogate training
_SPIKES = {
    "custom_vjp": (_spike_fast_sigmoid, False),
    "legacy_stop_gradient": (_spike_straight_through, True),
    "_smooth": (_spike_smooth, False),
}


@functools.partial(jax.jit, static_argnums=(3, 4, 6))
def _loss(weights: list[jax.Array], x: jax.Array, targets: jax.Array, n_steps: int,
          beta: float, threshold: float, path: str) -> jax.Array:
    spike, detach = _SPIKES[path]
    trains, _ = _run(weights, x, n_steps, 0.0, 0.0, threshold, 0.9, spike, beta, detach)
    rates = jnp.mean(trains[-1], axis=0)
    return -jnp.mean(jnp.sum(targets * jax.nn.log_softmax(rates, axis=-1), axis=-1))


_loss_and_grad = jax.jit(jax.value_and_grad(_loss), static_argnums=(3, 4, 6))


def _check_loss_args(weights: Any, x: Any, targets: Any, n_steps: Any, beta: Any,
                     threshold: Any, surrogate_path: Any) -> tuple:
    path = _path(surrogate_path)
    n_steps = _positive_int(n_steps, "n_steps")
    beta = _scalar(beta, "beta", positive=True)
    threshold = _scalar(threshold, "threshold")
    x = _array(x, "x", ndim=2)
    w = _weights(weights, x.shape[1])
    targets = _array(targets, "targets", ndim=2)
    want = (x.shape[0], w[-1].shape[0])
    if targets.shape != want:
        raise ValueError(f"targets must have shape (batch, n_out_last)={want}, got "
                         f"{targets.shape}")
    return w, x, targets, n_steps, beta, threshold, path


def jax_surrogate_loss(weights: Any, x: Any, targets: Any, n_steps: Any = 25, beta: Any = 10.0,
                       threshold: Any = 1.0, surrogate_path: str = "custom_vjp") -> jax.Array:
    """Softmax cross-entropy of the last layer's mean firing rate (the network of
    :func:`jax_forward_pass` with ``v_rest = v_reset = 0``, ``alpha = 0.9``).

    Both paths spike with the Heaviside step forward, so they give the same loss value; their
    gradients use the fast-sigmoid derivative ``1 / (1 + beta |v - threshold|)**2``:

    - ``"custom_vjp"``: a ``jax.custom_vjp`` spike; the gradient also flows through the reset.
    - ``"legacy_stop_gradient"``: the straight-through spike ``soft + stop_gradient(hard -
      soft)`` with ``soft = u / (1 + beta |u|)``, and the reset detached (``stop_gradient``).

    The two gradients agree when no reset can influence the loss (``n_steps = 1``).

    Parameters
    ----------
    weights : list of array_like
        As in :func:`jax_forward_pass`.
    x : array_like
        ``(batch, n_in_0)``.
    targets : array_like
        ``(batch, n_out_last)`` class probabilities (e.g. one-hot), finite.
    n_steps : int
    beta : float
        Positive surrogate sharpness.
    threshold : float
        Finite spike threshold.
    surrogate_path : {"custom_vjp", "legacy_stop_gradient"}

    Returns
    -------
    jax.Array
        Scalar float loss.
    """
    args = _check_loss_args(weights, x, targets, n_steps, beta, threshold, surrogate_path)
    return _loss(*args)


def jax_surrogate_gradient_step(weights: Any, x: Any, targets: Any, n_steps: Any = 25,
                                lr: Any = 1e-3, beta: Any = 10.0, threshold: Any = 1.0,
                                surrogate_path: str = "custom_vjp"
                                ) -> tuple[list[jax.Array], float]:
    """One gradient-descent step on :func:`jax_surrogate_loss`.

    Parameters
    ----------
    lr : float
        Positive finite learning rate.
    (others as :func:`jax_surrogate_loss`)

    Returns
    -------
    weights : list of jax.Array
        ``W - lr * dloss/dW`` per layer, same shapes.
    loss : float
        The loss before the step.
    """
    lr = _scalar(lr, "lr", positive=True)
    args = _check_loss_args(weights, x, targets, n_steps, beta, threshold, surrogate_path)
    loss, grads = _loss_and_grad(*args)
    return [w - lr * g for w, g in zip(args[0], grads, strict=True)], float(loss)
