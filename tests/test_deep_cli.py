"""`kdfast deep`: a small run, its outputs, one-line errors for bad options, and the message without PyTorch."""

import json
import subprocess
import sys

import pytest
from test_cli import run  # (exit status, stdout, stderr) of `kdfast argv`, in this process

SMALL = [
    "--data",
    "digits:n=60,n_test=40,flip=0.2",
    "--widths",
    "1,2",
    "--seeds",
    "2",
    "--epochs",
    "1",
    "--teacher-width",
    "2",
    "--n-threads",
    "1",
]


def test_deep_prints_the_soft_vs_hard_table_and_writes_outputs(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    code, out, err = run(["deep", *SMALL, "--out", str(tmp_path), "--format", "json"], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("data: digits  (n_train 60, n_test 40, images 1x8x8, 10 classes, label noise 0.2)")
    header = next(i for i, line in enumerate(lines) if line.lstrip().startswith("width"))
    assert "test acc soft" in lines[header] and "agreement hard" in lines[header]
    assert [line.split()[0] for line in lines[header + 1 : header + 3]] == ["1", "2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plot.png", "run.json", "table.json"]
    run_json = json.loads((tmp_path / "run.json").read_text())
    assert run_json["command"][:2] == ["kdfast", "deep"] and run_json["params"]["arch"] == "cnn"


def test_deep_vary_runs_one_comparison_per_value(capsys):
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    code, out, err = run(
        ["deep", *SMALL, "--widths", "1", "--seeds", "1", "--arch", "mlp", "--vary", "flip=0,0.4"], capsys
    )
    assert code == 0, err
    assert "== digits, flip=0" in out and "== digits, flip=0.4" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--widths", "0"], "--widths"),
        (["--alpha", "1.5"], "--alpha"),
        (["--epochs", "0"], "--epochs"),
        (["--optimizer", "rmsprop"], "--optimizer"),
        (["--data", "imagenet"], "unknown data set 'imagenet'"),
        (["--data", "digits:pair=3/5"], "digits has no option 'pair'"),
        (["--data", "digits:flip=2"], "flip"),
        (["--data", "digits:n=100000"], "images asked for"),  # checked by kdfast.deep itself
        (["--vary", "flip"], "--vary"),
    ],
)
def test_bad_options_get_one_line_errors(argv, message, capsys):
    pytest.importorskip("torch")
    code, out, err = run(["deep", *argv], capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err


# Imports kdfast with PyTorch hidden, as on a machine without it.
_WITHOUT_TORCH = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError("No module named 'torch'")
sys.meta_path.insert(0, Hide())
"""


def test_without_pytorch_the_command_says_how_to_install_it():
    code = _WITHOUT_TORCH + "from kdfast import cli\nsys.exit(cli.main(['deep', '--widths', '4']))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == 'kdfast deep: error: kdfast.deep needs PyTorch: pip install "kdfast[torch]"'
    code = _WITHOUT_TORCH + "import kdfast.deep"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and 'ImportError: kdfast.deep needs PyTorch: pip install "kdfast[torch]"' in done.stderr
