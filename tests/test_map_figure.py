"""The regime map (plots.map_figure): soft-minus-hard gaps as heatmaps, width across, data sets down."""

import itertools

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from kdfast import _validation as check  # noqa: E402
from kdfast.plots import map_figure, save_figure  # noqa: E402

DATASETS = ["xor2(d=8)", "circles"]  # deliberately not alphabetical: rows follow this order
WIDTHS = [16, 2, 4]  # deliberately unsorted: columns are sorted
TEACHERS = ["kernel", "forest"]
TEMPERATURES = [4.0, 1.0]


def _summary() -> pd.DataFrame:
    """2 data sets x 3 widths x 2 teachers x 2 temperatures, for an accuracy and a loss."""
    rng = np.random.default_rng(7)
    rows = []
    for metric, scale in (("test_acc", 0.05), ("test_loss", 0.2)):
        for teacher, temperature, dataset, width in itertools.product(TEACHERS, TEMPERATURES, DATASETS, WIDTHS):
            gap = float(rng.uniform(-scale, scale))
            half = float(rng.uniform(0.2, 1.5)) * abs(gap)  # some intervals exclude 0, some do not
            rows.append(
                dict(
                    dataset=dataset,
                    metric=metric,
                    teacher=teacher,
                    temperature=temperature,
                    width=width,
                    soft_mean=0.5 + gap,
                    soft_sd=0.01,
                    hard_mean=0.5,
                    hard_sd=0.01,
                    gap_mean=gap,
                    gap_sd=half / 2,
                    gap_low=gap - half,
                    gap_high=gap + half,
                    n_seeds=3,
                    n_replicates=4,
                )
            )
    summary = pd.DataFrame(rows)
    # one cell without a measurement, one cell exactly zero with an interval straddling it
    where = (summary["metric"] == "test_acc") & (summary["teacher"] == "forest") & (summary["temperature"] == 1.0)
    gaps = ["gap_mean", "gap_low", "gap_high"]
    summary.loc[where & (summary["dataset"] == "circles") & (summary["width"] == 4), gaps] = np.nan
    summary.loc[where & (summary["dataset"] == "xor2(d=8)") & (summary["width"] == 2), gaps] = (0.0, -0.01, 0.01)
    return summary


def _expected(summary, metric, teacher, temperature, column="gap_mean") -> np.ndarray:
    rows = summary[(summary["metric"] == metric) & (summary["teacher"] == teacher)]
    rows = rows[rows["temperature"] == temperature]
    return np.array(
        [[rows[(rows["dataset"] == d) & (rows["width"] == w)][column].item() for w in sorted(WIDTHS)] for d in DATASETS]
    )


def _panels(figure):
    """The heatmap panels (axes with an image), in the grid's order."""
    return [ax for ax in figure.axes if ax.get_images()]


def _panel(figure, teacher, temperature):
    (ax,) = [ax for ax in _panels(figure) if ax.get_title() == f"teacher {teacher}, T = {temperature:g}"]
    return ax


@pytest.fixture(scope="module")
def summary():
    return _summary()


def test_one_panel_per_teacher_and_temperature(summary):
    figure = map_figure(summary, "test_acc", DATASETS, title="regime map")
    panels = _panels(figure)
    assert len(panels) == 4
    # teachers as rows (order of appearance), temperatures as columns (ascending)
    assert [ax.get_title() for ax in panels] == [
        "teacher kernel, T = 1",
        "teacher kernel, T = 4",
        "teacher forest, T = 1",
        "teacher forest, T = 4",
    ]
    assert figure.get_suptitle() == "regime map"
    ax = panels[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["2", "4", "16"]
    assert [t.get_text() for t in ax.get_yticklabels()] == DATASETS


@pytest.mark.parametrize("metric", ["test_acc", "test_loss"])
def test_image_is_the_gap_rows_datasets_columns_sorted_widths(summary, metric):
    figure = map_figure(summary, metric, DATASETS)
    for teacher, temperature in itertools.product(TEACHERS, TEMPERATURES):
        image = _panel(figure, teacher, temperature).get_images()[0]
        data = image.get_array()
        want = _expected(summary, metric, teacher, temperature)
        assert data.shape == (len(DATASETS), len(WIDTHS))
        np.testing.assert_array_equal(np.ma.getmaskarray(data), np.isnan(want))
        np.testing.assert_allclose(data.filled(np.nan), want)
        assert image.origin == "upper"  # the first data set is the top row


def test_blue_always_means_soft_better(summary):
    for metric, better in (("test_acc", +1), ("test_loss", -1)):
        figure = map_figure(summary, metric, DATASETS)
        image = _panels(figure)[0].get_images()[0]
        red, _, blue, _ = image.cmap(image.norm(better * 0.9 * image.norm.vmax))
        assert blue > red
        red, _, blue, _ = image.cmap(image.norm(-better * 0.9 * image.norm.vmax))
        assert red > blue
        label = figure.axes[-1].get_ylabel()
        assert "soft − hard" in label and "blue = soft better" in label
    assert "test accuracy: soft − hard (points)" in map_figure(summary, "test_acc", DATASETS).axes[-1].get_ylabel()
    assert "(lower)" in map_figure(summary, "test_loss", DATASETS).axes[-1].get_ylabel()


def test_a_metric_where_neither_way_is_better(summary):
    fitted = summary[summary["metric"] == "test_acc"].assign(metric="flipped_fit")
    figure = map_figure(fitted, "flipped_fit", DATASETS)
    label = figure.axes[-1].get_ylabel()
    assert label.startswith("share of flipped labels fitted: soft − hard (points)")
    assert "purple = soft higher" in label and "better" not in label
    ticks = [t.get_text() for t in figure.axes[-1].get_yticklabels()]
    assert "0" in ticks and all(t == "0" or t[0] in "+−" for t in ticks)


@pytest.mark.parametrize("metric", ["test_acc", "test_loss"])
def test_shared_symmetric_colour_limits(summary, metric):
    figure = map_figure(summary, metric, DATASETS)
    limits = {image.get_clim() for ax in _panels(figure) for image in ax.get_images()}
    assert len(limits) == 1
    ((low, high),) = limits
    rows = summary[summary["metric"] == metric]
    assert high == -low == pytest.approx(np.nanmax(np.abs(rows["gap_mean"])))
    assert len(figure.axes) == 5  # four panels and one colour bar


def test_all_zero_map_has_a_floor(summary):
    zero = summary.assign(gap_mean=0.0, gap_low=-0.01, gap_high=0.01)
    low, high = _panels(map_figure(zero, "test_acc", DATASETS))[0].get_images()[0].get_clim()
    assert high == -low > 0


@pytest.mark.parametrize(("metric", "scale", "digits"), [("test_acc", 100, 1), ("test_loss", 1, 3)])
def test_marked_cells_are_those_whose_interval_excludes_zero(summary, metric, scale, digits):
    figure = map_figure(summary, metric, DATASETS)
    n_sure = 0
    for teacher, temperature in itertools.product(TEACHERS, TEMPERATURES):
        ax = _panel(figure, teacher, temperature)
        gap = _expected(summary, metric, teacher, temperature)
        sure = (_expected(summary, metric, teacher, temperature, "gap_low") > 0) | (
            _expected(summary, metric, teacher, temperature, "gap_high") < 0
        )
        texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
        assert set(texts) == set(zip(*np.nonzero(np.isfinite(gap))))  # NaN cells stay blank
        for (r, c), text in texts.items():
            shown = text.get_text()
            assert shown.endswith("*") == bool(sure[r, c])
            assert (text.get_fontweight() == "bold") == bool(sure[r, c])
            number = shown.rstrip("*").replace("−", "-")
            assert len(number.split(".")[1]) == digits
            assert float(number) == pytest.approx(scale * gap[r, c], abs=0.51 * 10.0**-digits)
        n_sure += int(sure.sum())
    assert 0 < n_sure < 4 * len(DATASETS) * len(WIDTHS)  # the fixture has both kinds


def test_nan_cells_masked_and_grey(summary):
    figure = map_figure(summary, "test_acc", DATASETS)
    image = _panel(figure, "forest", 1.0).get_images()[0]
    mask = np.ma.getmaskarray(image.get_array())
    assert mask.sum() == 1 and mask[DATASETS.index("circles"), sorted(WIDTHS).index(4)]
    assert image.cmap.get_bad()[:3] == pytest.approx((0.85, 0.85, 0.85))


def test_subset_and_order_of_datasets(summary):
    figure = map_figure(summary, "test_acc", ["circles"])
    image = _panel(figure, "kernel", 4.0).get_images()[0]
    want = _expected(summary, "test_acc", "kernel", 4.0)[[DATASETS.index("circles")]]
    np.testing.assert_allclose(image.get_array().filled(np.nan), want)
    reversed_figure = map_figure(summary, "test_acc", DATASETS[::-1])
    data = _panel(reversed_figure, "kernel", 4.0).get_images()[0].get_array()
    np.testing.assert_allclose(data, _expected(summary, "test_acc", "kernel", 4.0)[::-1])


def test_missing_combination_leaves_an_empty_panel(summary):
    partial = summary[~((summary["teacher"] == "forest") & (summary["temperature"] == 4.0))]
    figure = map_figure(partial, "test_acc", DATASETS)
    assert len(_panels(figure)) == 3
    # the panel above the empty one carries the width label
    assert _panel(figure, "kernel", 4.0).get_xlabel() == "width m (neurons)"
    assert _panel(figure, "kernel", 1.0).get_xlabel() == ""
    partial = summary[~((summary["teacher"] == "forest") & (summary["temperature"] == 1.0))]
    ax = _panel(map_figure(partial, "test_acc", DATASETS), "forest", 4.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == DATASETS  # the row's first panel names the data sets


def test_errors(summary):
    with pytest.raises(check.InputValueError, match=r"^metric: the summary holds no rows for 'val_acc'"):
        map_figure(summary, "val_acc", DATASETS)
    with pytest.raises(check.InputValueError, match=r"^datasets: 'moons' not in the summary for metric 'test_acc'"):
        map_figure(summary, "test_acc", ["circles", "moons"])
    with pytest.raises(check.InputValueError, match=r"^datasets: empty"):
        map_figure(summary, "test_acc", [])
    with pytest.raises(check.InputValueError, match=r"^summary: several rows"):
        map_figure(pd.concat([summary, summary.iloc[:1]]), "test_acc", DATASETS)
    with pytest.raises(check.InputValueError, match=r"^summary: missing column\(s\) gap_low"):
        map_figure(summary.drop(columns="gap_low"), "test_acc", DATASETS)


def test_renders_to_png(summary, tmp_path):
    figure = map_figure(summary, "test_loss", DATASETS, title="test loss")
    save_figure(figure, tmp_path / "map.png")
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"
