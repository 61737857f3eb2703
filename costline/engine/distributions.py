"""Draws from and expectations of a scenario `Quantity` (constant, lognormal, samples)."""

from __future__ import annotations

import math

import numpy as np

from costline.scenario.models import Quantity

# z-score of the 95th percentile of a standard normal: a lognormal's p95 = median * e^(z*sigma).
Z95 = 1.6448536269514722


def lognormal_params(median: float, p95: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with this median and 95th percentile."""
    return math.log(median), (math.log(p95) - math.log(median)) / Z95


def draw(quantity: Quantity, n: int, rng: np.random.Generator, upper: float | None = None):
    """`n` draws of `quantity` as a float array, clipped at `upper` when given."""
    if quantity.value is not None:
        out = np.full(n, quantity.value, dtype=float)
    elif quantity.samples is not None:
        out = rng.choice(np.asarray(quantity.samples, dtype=float), size=n, replace=True)
    else:
        assert quantity.median is not None and quantity.p95 is not None
        if quantity.median == quantity.p95:
            out = np.full(n, quantity.median, dtype=float)
        else:
            mu, sigma = lognormal_params(quantity.median, quantity.p95)
            out = rng.lognormal(mu, sigma, size=n)
    if upper is not None:
        out = np.minimum(out, upper)
    return out


def expected(quantity: Quantity, upper: float | None = None) -> float:
    """The mean of `quantity` (of min(quantity, upper) when `upper` is given)."""
    if quantity.value is not None:
        return quantity.value if upper is None else min(quantity.value, upper)
    if quantity.samples is not None:
        values = np.asarray(quantity.samples, dtype=float)
        if upper is not None:
            values = np.minimum(values, upper)
        return float(values.mean())
    assert quantity.median is not None and quantity.p95 is not None
    if quantity.median == quantity.p95:
        return quantity.median if upper is None else min(quantity.median, upper)
    mu, sigma = lognormal_params(quantity.median, quantity.p95)
    mean = math.exp(mu + sigma**2 / 2)
    if upper is None:
        return mean
    # E[min(X, c)] for lognormal X: the mean below c plus c times the chance of exceeding it.
    log_c = math.log(upper)
    below = mean * _normal_cdf((log_c - mu - sigma**2) / sigma)
    return below + upper * (1 - _normal_cdf((log_c - mu) / sigma))


def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def stochastic_round(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integers whose mean equals the mean of `values`: 2.3 becomes 3 with chance 0.3."""
    floor = np.floor(values)
    return (floor + (rng.random(values.shape) < values - floor)).astype(np.int64)


def percentile95(quantity: Quantity) -> float:
    """The 95th percentile of `quantity`."""
    if quantity.value is not None:
        return quantity.value
    if quantity.samples is not None:
        return float(np.percentile(np.asarray(quantity.samples, dtype=float), 95))
    assert quantity.p95 is not None
    return quantity.p95
