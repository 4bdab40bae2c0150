"""Logistic regression heads trained with a batched L-BFGS, in plain NumPy.

Determinism is the point of writing this out: no BLAS call is made (dot products are element-wise products
reduced by NumPy's pairwise summation, sparse products are gathers and ``np.add.reduceat``), so the weights are
the same bit for bit whatever the thread settings, and ``hegui train`` rebuilds the shipped model exactly.

The design matrix is sparse with one entry per n-gram occurrence (value ``1/sqrt(n-grams in the text)``), kept
in row order (for ``X @ W``) and in column order (for ``X.T @ G``). Heads are independent logistic regressions
(weighted, with an L2 penalty and an unpenalised bias) optimised side by side: each head keeps its own L-BFGS
history and its own backtracking line search; the gathers are shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

def rowdot(a: F64, b: F64) -> F64:
    """Per-row dot products of two (H, n) arrays (pairwise summation, no BLAS)."""
    return np.asarray((a * b).sum(axis=1), dtype=np.float64)


@dataclass(slots=True)
class Design:
    """A sparse design matrix in both orders. ``cols`` are compact column ids ``0 .. n_cols-1``."""

    n_rows: int
    n_cols: int
    # row order
    r_starts: I64  # start of each non-empty row's entries
    r_rows: I64  # which row each r_start belongs to
    r_cols: I64
    r_vals: F64
    # column order
    c_starts: I64  # start of each column's entries (every column has at least one)
    c_rows: I64
    c_vals: F64

    @classmethod
    def build(cls, row_of_entry: I64, cols: I64, vals: F64, n_rows: int, n_cols: int) -> Design:
        """From entries sorted by row (``row_of_entry`` non-decreasing)."""
        if len(cols) and (int(cols.min()) < 0 or int(cols.max()) >= n_cols):
            raise ValueError("column id out of range")
        change = np.ones(len(row_of_entry), dtype=np.bool_)
        if len(row_of_entry) > 1:
            change[1:] = row_of_entry[1:] != row_of_entry[:-1]
        r_starts = np.flatnonzero(change).astype(np.int64)
        order = np.argsort(cols, kind="stable")
        c_cols = cols[order]
        cchange = np.ones(len(c_cols), dtype=np.bool_)
        if len(c_cols) > 1:
            cchange[1:] = c_cols[1:] != c_cols[:-1]
        c_starts = np.flatnonzero(cchange).astype(np.int64)
        if len(c_starts) != n_cols:
            raise ValueError("every column needs at least one entry")
        return cls(
            n_rows=n_rows,
            n_cols=n_cols,
            r_starts=r_starts,
            r_rows=row_of_entry[r_starts].astype(np.int64),
            r_cols=cols.astype(np.int64),
            r_vals=vals.astype(np.float64),
            c_starts=c_starts,
            c_rows=row_of_entry[order].astype(np.int64),
            c_vals=vals[order].astype(np.float64),
        )

    def matvec(self, w: F64) -> F64:
        """``X @ w`` for one weight vector ``w`` (n_cols,)."""
        out = np.zeros(self.n_rows, dtype=np.float64)
        if len(self.r_cols):
            out[self.r_rows] = np.add.reduceat(w[self.r_cols] * self.r_vals, self.r_starts)
        return out

    def rmatvec(self, g: F64) -> F64:
        """``X.T @ g`` for one vector ``g`` (n_rows,)."""
        if not len(self.c_rows):
            return np.zeros(self.n_cols, dtype=np.float64)
        return np.asarray(np.add.reduceat(g[self.c_rows] * self.c_vals, self.c_starts), dtype=np.float64)


@dataclass(slots=True)
class FitResult:
    w: F64  # (H, n_cols)
    b: F64  # (H,)
    iterations: int
    evaluations: int
    loss: F64  # (H,) final objective
    converged: npt.NDArray[np.bool_]


def fit_logistic(
    x: Design,
    y: F64,
    s: F64,
    l2: F64,
    *,
    max_iter: int = 100,
    history: int = 6,
    tol: float = 1e-6,
    log: Callable[[str], None] | None = None,
) -> FitResult:
    """Independent heads fitted one after the other (memory: one head's L-BFGS history at a time)."""
    h = y.shape[0]
    parts = [
        _fit_block(x, y[k : k + 1], s[k : k + 1], l2[k : k + 1], max_iter=max_iter, history=history, tol=tol)
        for k in range(h)
    ]
    res = FitResult(
        np.concatenate([p.w for p in parts]),
        np.concatenate([p.b for p in parts]),
        max(p.iterations for p in parts),
        sum(p.evaluations for p in parts),
        np.concatenate([p.loss for p in parts]),
        np.concatenate([p.converged for p in parts]),
    )
    if log is not None:
        its = [p.iterations for p in parts]
        log(f"  {h} head(s): iterations {min(its)}..{max(its)}, {res.evaluations} evaluations, "
            f"mean loss {float(res.loss.mean()):.5f}, converged {int(res.converged.sum())}/{h}")
    return res


def _fit_block(
    x: Design,
    y: F64,
    s: F64,
    l2: F64,
    *,
    max_iter: int = 100,
    history: int = 6,
    tol: float = 1e-6,
    log: Callable[[str], None] | None = None,
) -> FitResult:
    """Weighted L2 logistic regression, one head per row of ``y`` (H, n_rows): labels 0/1, weights ``s`` (0 =
    row unused by that head), penalty ``l2`` (H,). Parameters are ``(H, n_cols + 1)``, the last column the bias.
    """
    h = y.shape[0]
    tot = s.sum(axis=1)
    tot[tot == 0] = 1.0
    prior = np.clip((s * y).sum(axis=1) / tot, 1e-4, 1 - 1e-4)
    params = np.zeros((h, x.n_cols + 1), dtype=np.float64)
    params[:, -1] = np.log(prior / (1 - prior))
    evals = 0

    def fg1(k: int, p: F64) -> tuple[float, F64]:
        nonlocal evals
        evals += 1
        z = x.matvec(p[:-1]) + p[-1]
        sk = s[k]
        loss = float((sk * (np.logaddexp(0.0, z) - y[k] * z)).sum()) / tot[k]
        w = p[:-1]
        f = loss + 0.5 * float(l2[k]) * float((w * w).sum())
        gz = sk * (0.5 * (1.0 + np.tanh(0.5 * z)) - y[k]) / tot[k]
        g = np.empty_like(p)
        g[:-1] = x.rmatvec(gz) + l2[k] * w
        g[-1] = float(gz.sum())
        return f, g

    f = np.zeros(h, dtype=np.float64)
    g = np.zeros_like(params)
    for k in range(h):
        f[k], g[k] = fg1(k, params[k])
    s_hist: list[F64] = []
    y_hist: list[F64] = []
    active = np.ones(h, dtype=np.bool_)
    it = 0
    for it in range(1, max_iter + 1):
        active &= np.abs(g).max(axis=1) > tol
        if not active.any():
            break
        # two-loop recursion, per head (rows)
        q = g.copy()
        alphas: list[F64] = []
        rhos: list[F64] = []
        for sk, yk in zip(reversed(s_hist), reversed(y_hist), strict=True):
            sy = rowdot(sk, yk)
            rho = np.where(sy > 1e-12, 1.0 / np.where(sy > 1e-12, sy, 1.0), 0.0)
            a = rho * rowdot(sk, q)
            q -= a[:, None] * yk
            alphas.append(a)
            rhos.append(rho)
        if s_hist:
            sy = rowdot(s_hist[-1], y_hist[-1])
            yy = rowdot(y_hist[-1], y_hist[-1])
            gamma = np.where((sy > 1e-12) & (yy > 0), sy / np.where(yy > 0, yy, 1.0), 1.0)
        else:
            gamma = 1.0 / np.maximum(np.sqrt(rowdot(g, g)), 1.0)
        q *= gamma[:, None]
        for sk, yk, a, rho in zip(s_hist, y_hist, reversed(alphas), reversed(rhos), strict=True):
            beta = rho * rowdot(yk, q)
            q += (a - beta)[:, None] * sk
        d = -q
        gd = rowdot(g, d)
        bad = gd >= 0
        if bad.any():  # not a descent direction: steepest descent for that head
            d[bad] = -g[bad]
            gd = rowdot(g, d)
        d[~active] = 0.0
        new_p = params.copy()
        new_f = f.copy()
        new_g = g.copy()
        for k in np.flatnonzero(active).tolist():
            step = 1.0
            for _ in range(30):
                cand = params[k] + step * d[k]
                fk, gk = fg1(k, cand)
                if fk <= f[k] + 1e-4 * step * gd[k]:
                    new_p[k], new_f[k], new_g[k] = cand, fk, gk
                    break
                step *= 0.5
            else:  # line search failed: keep the old point and stop this head
                active[k] = False
        sk = new_p - params
        yk = new_g - g
        rel = np.abs(f - new_f) / np.maximum(np.abs(f), 1e-12)
        params, f, g = new_p, new_f, new_g
        s_hist.append(sk)
        y_hist.append(yk)
        if len(s_hist) > history:
            s_hist.pop(0)
            y_hist.pop(0)
        active &= rel > 1e-9
        if log is not None and (it % 20 == 0 or it == 1):
            log(f"  iter {it:3d}  mean loss {float(f.mean()):.5f}  active heads {int(active.sum())}/{h}  evaluations {evals}")
    return FitResult(params[:, :-1].copy(), params[:, -1].copy(), it, evals, f, np.abs(g).max(axis=1) <= tol)


def fit_platt(z: F64, y: F64, *, iters: int = 50) -> tuple[float, float]:
    """Platt scaling ``p = sigmoid(a z + b)`` by Newton's method, with Platt's smoothed targets."""
    npos = float(y.sum())
    nneg = float(len(y) - npos)
    t = np.where(y > 0.5, (npos + 1.0) / (npos + 2.0), 1.0 / (nneg + 2.0))
    a, b = 1.0, 0.0
    for _ in range(iters):
        p = 0.5 * (1.0 + np.tanh(0.5 * (a * z + b)))
        r = p - t
        w = np.maximum(p * (1.0 - p), 1e-12)
        ga = float((r * z).sum())
        gb = float(r.sum())
        haa = float((w * z * z).sum()) + 1e-9
        hab = float((w * z).sum())
        hbb = float(w.sum()) + 1e-9
        det = haa * hbb - hab * hab
        if det <= 1e-18:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        a -= da
        b -= db
        if abs(da) < 1e-10 and abs(db) < 1e-10:
            break
    return a, b
