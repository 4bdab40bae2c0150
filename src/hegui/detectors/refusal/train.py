"""L2-regularised logistic regression in NumPy (Newton's method): deterministic for given data, no randomness."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Logistic:
    weights: FloatArray
    bias: float

    def decision(self, x: FloatArray) -> FloatArray:
        return np.asarray(x @ self.weights + self.bias, dtype=np.float64)

    def proba(self, x: FloatArray) -> FloatArray:
        return sigmoid(self.decision(x))


def sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0))), dtype=np.float64)


def fit_logistic(
    x: FloatArray,
    y: npt.NDArray[np.int_] | npt.NDArray[np.float64],
    *,
    l2: float = 1.0,
    max_iter: int = 50,
    tol: float = 1e-10,
) -> Logistic:
    """Minimise ``sum(logloss) + l2/2 * |w|^2`` (the bias is not penalised) by Newton's method."""
    x = np.asarray(x, dtype=np.float64)
    yf = np.asarray(y, dtype=np.float64)
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    for _ in range(max_iter):
        p = sigmoid(xb @ theta)
        grad = xb.T @ (p - yf) + reg * theta
        h = (xb * (p * (1.0 - p))[:, None]).T @ xb + np.diag(reg) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(h, grad)
        theta -= step
        if float(np.max(np.abs(step))) < tol:
            break
    return Logistic(theta[:-1].copy(), float(theta[-1]))
