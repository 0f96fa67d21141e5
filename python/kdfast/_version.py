"""The installed version of kdfast."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("kdfast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"
