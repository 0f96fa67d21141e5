"""The limiting (infinite-width) tangent kernel of the kdfast student.

For f(x; W) = (1/sqrt(m)) sum_s a_s relu(<w_s, x>) with only W trained,
w_s ~ N(0, I) and a_s in {-1, +1}, the tangent kernel is

    K_m(x, x') = (1/m) sum_s 1[<w_s, x> > 0] 1[<w_s, x'> > 0] <x, x'>,

and as m -> infinity it converges to

    K(x, x') = <x, x'> P_z[<z, x> > 0, <z, x'> > 0] = <x, x'> (pi - theta) / (2 pi),

with ``theta = arccos(<x, x'> / (|x| |x'|))`` the angle between x and x' (the
probability that a Gaussian direction lands in the intersection of two
half-spaces is (pi - theta) / (2 pi)). It is positive semi-definite: the
product (Schur) of the linear kernel and the arc-cosine kernel of order 0.
A zero row has no angle; <x, x'> = 0 there, so K = 0.
"""

from __future__ import annotations

import numpy as np

from . import _validation as check

__all__ = ["ntk_kernel"]

# Scratch per block, in float64 elements: big enough for efficient matrix
# products, small enough that a 20,000 x 20,000 kernel needs little memory
# beyond its output (4 temporaries of 2 MiB elements = 64 MiB).
_BLOCK_ELEMENTS = 1 << 21


def _kernel_block(G: np.ndarray, norms1: np.ndarray, norms2: np.ndarray) -> np.ndarray:
    """K from the Gram block G (float64) and the row norms; works in place on G's copy."""
    denom = np.multiply.outer(norms1, norms2)
    cos = np.zeros_like(G)
    np.divide(G, denom, out=cos, where=denom > 0)
    # Rounding can push |cos| a hair past 1 for (anti)parallel rows.
    np.clip(cos, -1.0, 1.0, out=cos)
    theta = np.arccos(cos, out=cos)
    # K = G (pi - theta) / (2 pi), written into theta's storage.
    np.subtract(np.pi, theta, out=theta)
    theta *= G
    theta *= 1.0 / (2.0 * np.pi)
    return theta


def ntk_kernel(X1, X2=None) -> np.ndarray:
    """Closed-form limiting tangent kernel K(x, x') = <x, x'> (pi - theta) / (2 pi).

    Parameters
    ----------
    X1 : array of shape (n1, d)
    X2 : array of shape (n2, d), optional
        Defaults to X1; the result is then exactly symmetric with diagonal
        ``|x|^2 / 2``.

    Returns
    -------
    K : ndarray of shape (n1, n2)
        float32 when every input is float32, else float64. Inner products,
        norms and angles are computed in float64 whatever the input dtype
        (arccos is ill-conditioned near parallel rows), then rounded once.
        The work is done in row blocks, so the memory needed beyond the
        output and a float64 copy of the inputs is a few tens of MiB.
        arccos is ill-conditioned near parallel rows: there the absolute
        error is up to ``~1e-8 |x| |x'|`` (rounding of the cosine, ~1e-16, moves
        theta by its square root). The diagonal of K(X) is exact.

    Notes
    -----
    K(x, x') is the infinite-width limit of the empirical tangent kernel
    (1/m) sum_s 1[<w_s, x> > 0] 1[<w_s, x'> > 0] <x, x'> of the student at
    initialisation (a_s^2 = 1). Rows equal to zero give K = 0.
    """
    # float32 stays float32, anything else becomes float64.
    A = check.matrix(X1, "X1", min_rows=0)
    symmetric = X2 is None
    B = A if symmetric else check.matrix(X2, "X2", min_rows=0)
    if A.shape[1] != B.shape[1]:
        raise check.InputValueError(
            f"X2: expected {A.shape[1]} columns to match X1 of shape {A.shape}, got shape {B.shape}"
        )
    out_dtype = np.result_type(A.dtype, B.dtype)
    n1, n2 = A.shape[0], B.shape[0]
    out = np.empty((n1, n2), dtype=out_dtype)
    if n1 == 0 or n2 == 0:
        return out

    A64 = A.astype(np.float64, copy=False)
    B64 = A64 if symmetric else B.astype(np.float64, copy=False)
    sq1 = np.einsum("ij,ij->i", A64, A64)
    norms1 = np.sqrt(sq1)
    norms2 = norms1 if symmetric else np.sqrt(np.einsum("ij,ij->i", B64, B64))

    if not symmetric:
        rows = max(1, _BLOCK_ELEMENTS // n2)
        for i0 in range(0, n1, rows):
            i1 = min(n1, i0 + rows)
            out[i0:i1] = _kernel_block(A64[i0:i1] @ B64.T, norms1[i0:i1], norms2)
        return out

    # Symmetric: compute the blocks on and right of the diagonal and mirror
    # them, so the result is exactly symmetric and half the work is saved.
    rows = max(1, _BLOCK_ELEMENTS // n1)
    for i0 in range(0, n1, rows):
        i1 = min(n1, i0 + rows)
        K = _kernel_block(A64[i0:i1] @ A64[i0:].T, norms1[i0:i1], norms1[i0:])
        diag = K[:, : i1 - i0]
        # The product's diagonal block need not be bitwise symmetric.
        diag[...] = 0.5 * (diag + diag.T)
        np.fill_diagonal(diag, 0.5 * sq1[i0:i1])
        out[i0:i1, i0:] = K
        out[i1:, i0:i1] = K[:, i1 - i0 :].T
    return out
