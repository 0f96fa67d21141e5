"""Sphinx configuration: kdfast's user guide, gallery and API reference.

Build from the repository root, with kdfast installed (autodoc imports the
installed package, whose compiled engine a source tree lacks)::

    pip install ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

from __future__ import annotations

from pathlib import Path

import kdfast

HERE = Path(__file__).parent

project = "kdfast"
author = "the kdfast developers"
copyright = "the kdfast developers"
release = kdfast.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
# Only the guide, gallery and reference are pages; RESULTS*.md and the
# results/ folders are read on GitHub, next to the scripts that make them.
exclude_patterns = ["_build", "_intersphinx", "benchmarks", "results", "RESULTS.md", "RESULTS-deep.md"]

# MyST: anchors for headings, so that pages can link to sections.
myst_heading_anchors = 3
myst_enable_extensions = ["deflist"]

# autodoc and numpydoc: signatures with their default values, members in
# source order, the parameters documented by numpydoc sections.
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "show-inheritance": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# Links to the projects kdfast's signatures and docstrings name. Each
# inventory is fetched from its project's site; where that is unreachable
# (a build without network), the short list in _intersphinx/ of the names
# these pages use stands in, so the build stays warning-free either way.
_INVENTORIES = {
    "python": "https://docs.python.org/3/",
    "numpy": "https://numpy.org/doc/stable/",
    "pandas": "https://pandas.pydata.org/docs/",
    "sklearn": "https://scikit-learn.org/stable/",
    "torch": "https://docs.pytorch.org/docs/stable/",
}
intersphinx_mapping = {
    name: (url, (None, str(HERE / "_intersphinx" / f"{name}.txt"))) for name, url in _INVENTORIES.items()
}
intersphinx_timeout = 10

html_theme = "furo"
html_title = f"kdfast {release}"
html_static_path: list[str] = []
