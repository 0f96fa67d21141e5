# The compiled engine (cpp/bindings.cpp): its functions validate their own
# arguments; callers in this package pass checked NumPy arrays.
from typing import Any

def openmp_enabled() -> bool: ...
def max_threads() -> int: ...
def simd_level() -> str: ...
def activation_bytes(n_neurons: int, n_samples: int, float32: bool) -> int: ...
def fit_bytes(
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
def __getattr__(name: str) -> Any: ...
