# The compiled engine (cpp/bindings.cpp): its functions check the structure
# of their arguments (dtype, shape, contiguity, the values every call relies
# on) and raise TypeError or ValueError naming the argument; callers in this
# package pass arrays that the public layer has already validated.
#
# Sizes: K networks, M neurons in all, d inputs, n samples, C target columns,
# T_rec recorded steps. A bank's arrays share one dtype, float32 or float64,
# which every float array of a call must have (the targets are float64).
from typing import TypedDict, TypeVar

import numpy as np
from numpy.typing import NDArray

_Float = TypeVar("_Float", np.float32, np.float64)

class TrainRecords(TypedDict):
    loss: NDArray[np.float64]  # (T_rec, K)
    mean_loss: NDArray[np.float64]  # (K,)
    train_acc: NDArray[np.float64] | None  # (T_rec, K), when y was given
    test_loss: NDArray[np.float64] | None  # (T_rec, K), when a test set was given
    test_acc: NDArray[np.float64] | None  # (T_rec, K), when a test set was given

def openmp_enabled() -> bool: ...
def max_threads() -> int: ...
def simd_level() -> str: ...
def activation_bytes(*, n_neurons: int, n_samples: int, float32: bool) -> int: ...
def fit_bytes(
    *,
    n_networks: int,
    n_neurons: int,
    d: int,
    n_samples: int,
    n_columns: int,
    n_test: int,
    labels: bool,
    steps: int,
    record_every: int,
    n_threads: int,
    float32: bool,
) -> int: ...
def init_bank(
    *,
    W0: NDArray[_Float],  # (M, d) out
    a: NDArray[_Float],  # (M,) out
    seeds: NDArray[np.uint64],  # (K,)
    offsets: NDArray[np.int64],  # (K + 1,)
    symmetric: bool,
    n_threads: int,
) -> None: ...
def logits(
    *,
    W: NDArray[_Float],  # (M, d)
    W0: NDArray[_Float],  # (M, d)
    a: NDArray[_Float],  # (M,)
    offsets: NDArray[np.int64],  # (K + 1,)
    X: NDArray[_Float],  # (n, d)
    n_threads: int,
) -> NDArray[_Float]: ...  # (K, n)
def train(
    *,
    W: NDArray[_Float],  # (M, d) in/out
    W0: NDArray[_Float],  # (M, d)
    a: NDArray[_Float],  # (M,)
    offsets: NDArray[np.int64],  # (K + 1,)
    X: NDArray[_Float],  # (n, d)
    target: NDArray[np.float64],  # (n, C)
    y: NDArray[np.int8] | None,  # (n,)
    X_test: NDArray[_Float] | None,  # (n_test, d)
    target_test: NDArray[np.float64] | None,  # (n_test, C)
    y_test: NDArray[np.int8] | None,  # (n_test,)
    target_index: NDArray[np.int64],  # (K,)
    lr: NDArray[np.float64],  # (K,)
    radius: NDArray[np.float64],  # (K,)
    temperature: NDArray[np.float64],  # (K,)
    projection: int,  # 0 none, 1 neuron, 2 network
    steps: int,
    record_every: int,
    n_threads: int,
) -> TrainRecords: ...
def max_drift(
    *,
    W: NDArray[_Float],  # (M, d)
    W0: NDArray[_Float],  # (M, d)
    a: NDArray[_Float],  # (M,)
    offsets: NDArray[np.int64],  # (K + 1,)
    n_threads: int,
) -> NDArray[np.float64]: ...  # (K,)
