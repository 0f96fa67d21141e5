"""The package's structure: imports flow one way, private names stay home, one message per bad input, one default."""

import ast
import functools
import inspect
import pathlib
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import kdfast
from kdfast import _jobs, cli, theory
from kdfast import datasets as ds

PACKAGE = pathlib.Path(kdfast.__file__).parent
# Each module's files; a subpackage (kdfast.deep, kdfast.teachers, kdfast.theory) is one node of the graph.
SOURCES = {path.stem: [path] for path in PACKAGE.glob("*.py")}
SOURCES |= {init.parent.name: sorted(init.parent.glob("*.py")) for init in PACKAGE.glob("*/__init__.py")}
MODULES = set(SOURCES) | {"_core"}  # _core is compiled

# Lower layers first; a module imports only from its own layer or lower ones
# (and the graph is acyclic, so not in a circle within a layer either).
# results and plots store and draw tables; the result classes use them, and
# results rebuilds a result through what each kind registers.
LAYERS = [
    {
        "_core",
        "_version",
        "_validation",
        "_threads",
        "_history",
        "_sampling",
        "_flips",
        "_data",
        "_jobs",
        "_metrics",
        "_intervals",
        "_report",
        "results",
    },
    {
        "_sources",
        "_classes",
        "_synthetic",
        "_planted",
        "_images",
        "datasets",
        "kernel",
        "_simplex",
        "theory",
        "_margin",
        "plots",
    },
    {"_bank", "_fitting"},
    {"teachers"},
    {"_replicate"},
    {"comparison", "experiments"},
    {"_sweep"},
    {"_scaling"},
    {"_specs", "_options", "_output", "deep", "cli", "__main__", "__init__"},
]


def trees(name: str):
    return [ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES[name]]


def imports(name: str) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every import of a kdfast module in `name`, at any depth."""
    return imports_in(trees(name), depth=0 if SOURCES[name][0].parent == PACKAGE else 1)


def imports_in(modules: list[ast.Module], depth: int) -> list[tuple[str, list[str], int]]:
    """The imports of kdfast modules in the syntax trees of one module, `depth` packages below kdfast.

    In a subpackage (depth 1), imports of its own modules (one dot) are internal and left out.
    """
    found = []
    for node in (node for tree in modules for node in ast.walk(tree)):
        if isinstance(node, ast.ImportFrom) and 0 < node.level <= depth:
            continue
        if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("kdfast")):
            base = (node.module or "").removeprefix("kdfast").lstrip(".")
            if base:
                found.append((base.split(".")[0], [a.name for a in node.names], node.lineno))
            else:  # from . import x: a module, or a name of the package itself
                for alias in node.names:
                    target = alias.name if alias.name in MODULES else "__init__"
                    found.append((target, [] if target == alias.name else [alias.name], node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("kdfast."):
                    found.append((alias.name.split(".")[1], [], node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    return {name: {target for target, _, _ in imports(name)} - {name} for name in SOURCES}


def test_every_module_has_a_layer():
    layered = set().union(*LAYERS)
    assert set(MODULES) <= layered, sorted(set(MODULES) - layered)


def test_imports_flow_one_way_without_cycles():
    layer = {name: i for i, names in enumerate(LAYERS) for name in names}
    edges = graph()
    upward = [f"{a} imports {b}" for a, targets in edges.items() for b in targets if layer[b] > layer[a]]
    assert not upward
    # Depth-first search for a cycle, function-level imports included.
    state: dict[str, str] = {}

    def visit(node, path):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                pytest.fail("import cycle: " + " -> ".join([*path, node, target]))
            if target not in state:
                visit(target, [*path, node])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [])


def test_the_graph_sees_function_level_imports():
    """The checks above would miss a deferred import if the walk did not reach into functions and methods."""
    source = """
def f():
    from .results import write
    from . import _core

class C:
    def g(self):
        import kdfast.plots
        from . import __version__
"""
    found = sorted(imports_in([ast.parse(source)], depth=0), key=lambda item: item[2])
    assert found == [("results", ["write"], 3), ("_core", [], 4), ("plots", [], 8), ("__init__", ["__version__"], 9)]
    # In a subpackage, one dot is the subpackage itself (internal) and two dots reach kdfast.
    nested = [ast.parse("def f():\n    from . import data\n    from ..theory import crossover\n")]
    assert imports_in(nested, depth=1) == [("theory", ["crossover"], 3)]


def test_no_private_name_crosses_a_module_line():
    """Private modules may be imported; their private names, and any module's, may not (tests are exempt)."""
    crossings = []
    for name in SOURCES:
        aliases = set()
        for target, names, line in imports(name):
            crossings += [
                f"{name}:{line} imports {target}.{n}" for n in names if n.startswith("_") and not n.startswith("__")
            ]
        nodes = [node for tree in trees(name) for node in ast.walk(tree)]
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("kdfast")):
                aliases |= {a.asname or a.name for a in node.names if a.name in MODULES}
        for node in nodes:
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                crossings.append(f"{name}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not crossings


def test_no_public_name_shadows_a_module():
    """``kdfast.sweep`` is the function, so no module may be importable as kdfast.sweep behind its back."""
    import importlib

    for name in kdfast.__all__:
        try:
            module = importlib.import_module(f"kdfast.{name}")
        except ModuleNotFoundError:
            continue
        assert getattr(kdfast, name) is module, f"kdfast.{name} is not the module kdfast.{name}"


def test_results_knows_no_result_kind_by_name():
    edges = graph()["results"]
    assert not edges & {"comparison", "experiments", "_sweep", "_scaling"}
    source = SOURCES["results"][0].read_text(encoding="utf-8")
    assert "Comparison(" not in source and "Sweep(" not in source and "Scaling(" not in source


# -- one message for one bad input ------------------------------------------------------


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 3))
    y = np.where(X[:, 0] > 0, 1, -1)
    y[:2] = [1, -1]
    return X, y


def message(call) -> str:
    with pytest.raises(kdfast.InputError) as caught:
        call()
    return str(caught.value)


def entry_points(X, y, bad):
    """Every public function that takes one of the arguments in `bad` (X, y, lr, n_threads), given the bad value."""
    X, y = bad.get("X", X), bad.get("y", y)
    kw = {k: v for k, v in bad.items() if k in ("lr", "n_threads")}
    bank = kdfast.StudentBank(3, [1, 2])
    calls = {
        "StudentBank.fit": lambda: bank.fit(X, np.full(12, 0.5), y=y, steps=1, **kw),
        "KernelTeacher.fit": lambda: kdfast.KernelTeacher(steps=1, **kw).fit(X, y),
        "NetworkTeacher.fit": lambda: kdfast.NetworkTeacher(width=2, steps=1, **kw).fit(X, y),
    }
    if "lr" not in bad:
        calls["margin"] = lambda: kdfast.margin(X, y, n_samples=64, **kw)
    if "n_threads" in bad:
        del calls["KernelTeacher.fit"]  # it has no threads of its own
    if "X" in bad or "y" in bad:
        calls["from_arrays"] = lambda: ds.from_arrays(X, y)
    else:
        calls["compare"] = lambda: kdfast.compare(ds.from_arrays(X, y), widths=[1], seeds=1, steps=1, **kw)
    if "lr" in bad:
        calls["hard_label_theorem"] = lambda: theory.hard_label_theorem(0.1, 0.1, 12, **kw)
    return calls


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"y": np.r_[np.zeros(6), np.full(6, 2)]}, "y: labels must be in {-1, +1} or {0, 1}, got values [0.0, 2.0]"),
        ({"y": np.ones(12)}, None),
        ({"X": np.ones(12)}, "X: expected shape (n, d), a 2-D array with n >= 1, got (12,)"),
        ({"lr": -1.0}, "lr: must be > 0, got -1.0"),
        ({"lr": np.inf}, "lr: must be finite, got inf"),
        ({"n_threads": 0}, "n_threads: must not be 0 (None or -1 means all threads)"),
    ],
    ids=["labels", "one-class", "vector-X", "negative-lr", "infinite-lr", "zero-threads"],
)
def test_the_same_bad_input_gets_the_same_message_everywhere(task, bad, expected):
    X, y = task
    calls = entry_points(X, y, bad)
    if "X" in bad:
        del calls["StudentBank.fit"]  # the bank knows its columns: "(n, 3)"
    if "y" in bad and bad["y"].min() == 1:  # one class: a bank can train on it, a teacher or a margin cannot
        del calls["StudentBank.fit"]
    messages = {name: message(call) for name, call in calls.items()}
    assert len(messages) >= 3
    assert len(set(messages.values())) == 1, messages
    if expected is not None:
        assert next(iter(messages.values())) == expected


@pytest.mark.parametrize(
    ("name", "calls", "expected"),
    [
        (
            "projection",
            {
                "StudentBank.fit": lambda X, y: kdfast.StudentBank(3, [1]).fit(
                    X, y, steps=1, radius=1.0, projection="layer"
                ),
                "compare": lambda X, y: kdfast.compare(
                    ds.from_arrays(X, y), widths=[1], seeds=1, steps=1, projection="layer"
                ),
            },
            "projection: expected one of 'neuron', 'network', got 'layer'",
        ),
        (
            "init",
            {
                "StudentBank": lambda X, y: kdfast.StudentBank(3, [2], init="layer"),
                "compare": lambda X, y: kdfast.compare(ds.from_arrays(X, y), widths=[2], seeds=1, init="layer"),
                "NetworkTeacher.fit": lambda X, y: kdfast.NetworkTeacher(width=2, steps=1, init="layer").fit(X, y),
            },
            "init: expected one of 'gaussian', 'symmetric', got 'layer'",
        ),
        (
            "metric",
            {
                "Comparison.neurons_needed": lambda X, y: kdfast.compare(
                    ds.from_arrays(X, y), widths=[1], seeds=1, steps=1
                ).neurons_needed(0.1, metric="layer"),
                "scaling": lambda X, y: kdfast.scaling([ds.from_arrays(X, y)], widths=[1], seeds=1, metric="layer"),
            },
            "metric: expected one of",
        ),
    ],
    ids=["projection", "init", "metric"],
)
def test_choice_arguments_share_one_message(task, name, calls, expected):
    X, y = task
    messages = {where: message(lambda call=call: call(X, y)) for where, call in calls.items()}
    assert len(set(messages.values())) == 1, messages
    assert next(iter(messages.values())).startswith(expected)


def test_nan_inputs_get_one_message(task):
    X, y = task
    bad = X.copy()
    bad[0, 0] = np.nan
    calls = entry_points(bad, y, {})
    calls["ntk_kernel"] = lambda: kdfast.ntk_kernel(np.ones((2, 3)), bad)
    messages = {name: message(call).split(": ", 1)[1] for name, call in calls.items()}
    assert set(messages.values()) == {"contains NaN or infinity"}, messages


def test_labels_in_0_1_mean_the_same_everywhere(task):
    X, y = task
    zero_one = (y + 1) // 2
    assert kdfast.margin(X, zero_one, n_samples=64).gamma == kdfast.margin(X, y, n_samples=64).gamma
    for make in (lambda: kdfast.KernelTeacher(steps=5), lambda: kdfast.NetworkTeacher(width=4, steps=5)):
        np.testing.assert_array_equal(make().fit(X, zero_one).logits(X), make().fit(X, y).logits(X))
    np.testing.assert_array_equal(ds.from_arrays(X, zero_one).y_train, ds.from_arrays(X, y).y_train)


def test_the_command_line_gives_the_library_message(task, capsys):
    X, y = task
    library = message(lambda: kdfast.compare(ds.from_arrays(X, y), widths=[1], seeds=1, steps=1, lr=-1.0))
    code = cli.main(["compare", "--data", "xor2:n=20,d=3", "--lr", "-1", "--steps", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err == f"kdfast compare: error: {library}\n"


# -- one home for each default ------------------------------------------------------------


def defaults(function) -> dict:
    return {name: p.default for name, p in inspect.signature(function).parameters.items() if p.default is not p.empty}


def test_command_line_defaults_are_the_library_defaults():
    parse = cli.parser().parse_args
    compare = defaults(kdfast.compare)
    for command in ("compare", "sweep", "scaling"):
        args = parse([command])
        for name in (
            "teacher",
            "seeds",
            "steps",
            "lr",
            "radius",
            "protocol",
            "projection",
            "temperature",
            "record_every",
            "init",
        ):
            assert getattr(args, name) == compare[name], (command, name)
        assert args.widths == list(compare["widths"]) and args.dtype == np.dtype(compare["dtype"]).name
    margin = defaults(kdfast.margin)
    args = parse(["margin"])
    assert (args.n_samples, args.seed, args.tol) == (margin["n_samples"], margin["seed"], margin["tol"])
    assert args.delta == defaults(theory.hard_label_theorem)["delta"]
    for command in ("sweep", "scaling"):
        args = parse([command])
        assert (args.margin_samples, args.margin_seed) == (margin["n_samples"], margin["seed"])
    args = parse(["scaling"])
    assert (args.eps, args.metric) == (defaults(kdfast.scaling)["eps"], defaults(kdfast.scaling)["metric"])


# -- errors that tell the truth -----------------------------------------------------------

SMALL = ["compare", "--data", "xor2:n=20,d=3", "--widths", "1", "--seeds", "1", "--steps", "2", "--n-threads", "1"]


def test_an_internal_error_is_not_reported_as_bad_input(monkeypatch, capsys):
    def broken(self, eps):
        raise ValueError("a bug in the report")

    monkeypatch.setattr(kdfast.Comparison, "report", broken)
    with pytest.raises(ValueError, match="a bug in the report"):
        cli.main(SMALL)
    assert "error:" not in capsys.readouterr().err


def test_debug_shows_the_traceback_of_bad_input(capsys):
    assert cli.main([*SMALL, "--lr", "-1"]) == 2
    with pytest.raises(kdfast.InputError, match="lr: must be > 0"):
        cli.main(["--debug", *SMALL, "--lr", "-1"])


def test_debug_traceback_on_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "kdfast", "--debug", *SMALL, "--lr", "-1"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr and "InputValueError: lr: must be > 0" in done.stderr


# -- teachers are estimators --------------------------------------------------------------


@pytest.mark.parametrize(
    "teacher",
    [
        kdfast.KernelTeacher(steps=3),
        kdfast.MarginTeacher(n_samples=64),
        kdfast.NetworkTeacher(width=4, steps=3),
        kdfast.ArrayTeacher(train_logits=np.linspace(-1, 1, 12), test_logits=np.zeros(2), X_test=np.ones((2, 3))),
    ],
    ids=lambda t: type(t).__name__,
)
def test_teachers_survive_scikit_learn_clone(task, teacher):
    base = pytest.importorskip("sklearn.base")
    X, y = task
    twin = base.clone(teacher)
    assert type(twin) is type(teacher) and twin is not teacher
    for name, value in teacher.get_params().items():  # equal copies of the parameters
        assert (
            np.array_equal(getattr(twin, name), value)
            if isinstance(value, np.ndarray)
            else getattr(twin, name) == value
        )
    np.testing.assert_array_equal(twin.fit(X, y).logits(X), teacher.fit(X, y).logits(X))


def test_array_teacher_stores_its_parameters_under_their_names():
    train, test = np.zeros(3), np.ones(2)
    teacher = kdfast.ArrayTeacher(train_logits=train, test_logits=test)
    assert teacher.get_params() == {
        "train_logits": train,
        "train_proba": None,
        "test_logits": test,
        "test_proba": None,
        "X_test": None,
    }
    with pytest.raises(kdfast.InputError, match="logits: not a parameter of ArrayTeacher"):
        teacher.set_params(logits=train)


# -- jobs and their cancellation ----------------------------------------------------------


def until_cancelled(running: threading.Event, stopped: threading.Event) -> str:
    """A job that runs until its run is cancelled, then sets `stopped`."""
    running.set()
    deadline = time.monotonic() + 60  # a guard against a hang only: cancelled, the job stops at once
    while time.monotonic() < deadline:
        try:
            _jobs.stop_if_cancelled()
        except KeyboardInterrupt:
            stopped.set()
            raise
        time.sleep(0.01)
    return "ran to the end"


def test_an_interrupted_run_stops_its_thread_jobs_and_forgets_them():
    running, stopped = threading.Event(), threading.Event()

    def job(kind):
        if kind == "fail":
            assert running.wait(timeout=60)  # a guard against a hang only
            raise RuntimeError("this job fails")
        return until_cancelled(running, stopped)

    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(RuntimeError, match="this job fails"):
            _jobs.run_jobs(job, {"long": ("long",), "failing": ("fail",)}, executor=pool, progress=False, desc="test")
    assert stopped.is_set()
    assert not _jobs._holders and not _jobs._cancelled  # nothing outlives the jobs


def test_ctrl_c_between_two_submissions_stops_the_job_already_running():
    running, stopped = threading.Event(), threading.Event()

    class InterruptedPool(ThreadPoolExecutor):
        """Ctrl-C arrives during the second submission, while the first job runs."""

        submitted = 0

        def submit(self, fn, /, *args, **kwargs):
            self.submitted += 1
            if self.submitted == 2:
                assert running.wait(timeout=60)  # a guard against a hang only
                raise KeyboardInterrupt
            return super().submit(fn, *args, **kwargs)

    with InterruptedPool(2) as pool, pytest.raises(KeyboardInterrupt):
        _jobs.run_jobs(
            until_cancelled,
            {"first": (running, stopped), "second": (running, stopped)},
            executor=pool,
            progress=False,
            desc="test",
        )
    assert stopped.is_set()
    assert not _jobs._holders and not _jobs._cancelled


def test_serial_runs_are_never_cancelled():
    calls = []
    result = _jobs.run_jobs(
        functools.partial(calls.append), {"a": (1,), "b": (2,)}, executor=None, progress=False, desc="t"
    )
    assert calls == [1, 2] and result == {"a": None, "b": None}


def test_import_kdfast_loads_no_heavy_optional_module():
    # A fresh interpreter: this test process has imported most of them already.
    heavy = ("torch", "jax", "matplotlib", "dask", "sklearn", "mlxtend", "scipy.stats")
    code = f"import sys, kdfast; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []


def test_a_validation_share_gets_one_message(task):
    """compare, NetworkTeacher and ConvTeacher hold out a share of the training set, checked alike."""
    X, y = task
    calls = {
        "compare": lambda: kdfast.compare(ds.from_arrays(X, y), widths=[1], seeds=1, steps=1, validation=1.5),
        "NetworkTeacher.fit": lambda: kdfast.NetworkTeacher(width=2, steps=1, validation=1.5).fit(X, y),
    }
    try:
        from kdfast.deep import ConvTeacher
    except ImportError:  # no PyTorch: the two others still agree
        pass
    else:
        images = np.tile(X, 6)[:, :16]  # 4 x 4, the smallest the CNN takes
        calls["ConvTeacher.fit"] = lambda: ConvTeacher(epochs=1, validation=1.5).fit(images, y)
    messages = {name: message(call) for name, call in calls.items()}
    assert set(messages.values()) == {"validation: must lie in the open interval (0, 1), got 1.5"}, messages
