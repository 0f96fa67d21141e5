"""SklearnTeacher: any scikit-learn classifier as the teacher, checked against the estimator's own outputs."""

import sys

import numpy as np
import pytest

import kdfast
from kdfast import datasets

pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.mixture import GaussianMixture  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402
from sklearn.neighbors import KNeighborsClassifier  # noqa: E402
from sklearn.svm import SVC  # noqa: E402


@pytest.fixture(scope="module")
def task():
    """Two overlapping unit-norm clusters: neither class is predicted everywhere."""
    data = datasets.gaussians(60, 3, separation=1.5, n_test=30, seed=3)
    return data.X_train, data.y_train, data.X_test


def entropy(p):
    """Bernoulli entropy in nats, 0 at p = 0 and 1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where((p > 0) & (p < 1), p * np.log(p) + (1 - p) * np.log1p(-p), 0.0)
    return -terms


@pytest.mark.parametrize("estimator", [LogisticRegression(), SVC(kernel="rbf")], ids=["logistic", "svc"])
def test_logits_are_the_decision_function_towards_class_plus_one(task, estimator):
    X, y, X_test = task
    teacher = kdfast.SklearnTeacher(estimator).fit(X, y)
    own = clone(estimator).fit(X, y)  # fitted here, independently of the teacher
    assert list(own.classes_) == [-1, 1]  # so the decision function scores +1
    f = teacher.logits(X_test)
    assert f.dtype == np.float64 and f.shape == (30,)
    np.testing.assert_allclose(f, own.decision_function(X_test), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(teacher.predict(X_test), own.predict(X_test))
    np.testing.assert_array_equal(teacher.classes_, [-1, 1])
    assert teacher.n_features_in_ == 3


def test_orientation_follows_the_labels_not_their_order(task):
    """Labels in {0, 1} mean the same; swapped labels negate a symmetric model's logits."""
    X, y, X_test = task
    f = kdfast.SklearnTeacher(LogisticRegression()).fit(X, y).logits(X_test)
    np.testing.assert_allclose(kdfast.SklearnTeacher(LogisticRegression()).fit(X, (1 + y) // 2).logits(X_test), f)
    flipped = kdfast.SklearnTeacher(LogisticRegression()).fit(X, -y).logits(X_test)
    np.testing.assert_allclose(flipped, -f, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "estimator", [GaussianNB(), KNeighborsClassifier(n_neighbors=5)], ids=["naive-bayes", "neighbours"]
)
def test_logits_are_the_log_odds_of_predict_proba(task, estimator):
    X, y, X_test = task
    assert not hasattr(estimator, "decision_function")
    teacher = kdfast.SklearnTeacher(estimator).fit(X, y)
    own = clone(estimator).fit(X, y)
    p = own.predict_proba(X_test)[:, list(own.classes_).index(1)]
    with np.errstate(divide="ignore"):
        expected = np.log(p / (1 - p))  # 0 and 1 give -inf and +inf
    f = teacher.logits(X_test)
    np.testing.assert_allclose(f, expected, rtol=1e-9)
    np.testing.assert_array_equal(teacher.predict(X_test), own.predict(X_test))  # an odd k: no ties
    np.testing.assert_allclose(teacher.predict_proba(X_test), p, rtol=1e-12, atol=1e-15)
    if isinstance(estimator, KNeighborsClassifier):
        assert np.isinf(f).any()  # unanimous neighbours


def test_the_given_estimator_is_never_fitted_nor_changed(task):
    X, y, _ = task
    estimator = LogisticRegression()
    teacher = kdfast.SklearnTeacher(estimator, seed=7).fit(X, y)
    assert not hasattr(estimator, "coef_") and estimator.random_state is None
    assert teacher.estimator is estimator and teacher.estimator_ is not estimator


def test_seed_sets_random_state_where_there_is_one(task):
    X, y, _ = task
    assert kdfast.SklearnTeacher(LogisticRegression(), seed=7).fit(X, y).estimator_.random_state == 7
    assert kdfast.SklearnTeacher(LogisticRegression(random_state=3), seed=None).fit(X, y).estimator_.random_state == 3
    assert kdfast.SklearnTeacher(LogisticRegression(random_state=3)).fit(X, y).estimator_.random_state == 0
    kdfast.SklearnTeacher(GaussianNB(), seed=7).fit(X, y)  # no random_state: the seed has nothing to set
    teacher = kdfast.SklearnTeacher(LogisticRegression())
    assert teacher.get_params() == {"estimator": teacher.estimator, "seed": 0}
    assert teacher.set_params(seed=5).seed == 5  # how compare reseeds a replicate
    twin = clone(teacher)  # a teacher is itself an estimator
    assert twin.seed == 5 and twin.estimator is not teacher.estimator
    with pytest.raises(kdfast.InputError, match="^seed: must be >= 0"):
        kdfast.SklearnTeacher(LogisticRegression(), seed=-1).fit(X, y)


class FitAndProba:
    """Has the methods but not scikit-learn's conventions (no get_params): clone refuses it."""

    def fit(self, X, y):
        return self

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


@pytest.mark.parametrize(
    "estimator",
    [LinearRegression(), GaussianMixture(), object(), FitAndProba(), LogisticRegression],
    ids=["regressor", "clusterer", "object", "not-clonable", "a-class"],
)
def test_what_is_not_a_classifier_is_refused(task, estimator):
    X, y, _ = task
    with pytest.raises(TypeError) as caught:
        kdfast.SklearnTeacher(estimator).fit(X, y)
    assert isinstance(caught.value, kdfast.InputError)
    message = str(caught.value)
    assert message.startswith("estimator: expected a scikit-learn classifier") and "\n" not in message


def test_one_class_and_unfitted_get_the_teachers_errors(task):
    X, y, _ = task
    with pytest.raises(kdfast.InputError) as caught:
        kdfast.SklearnTeacher(LogisticRegression()).fit(X, np.ones(len(y)))
    with pytest.raises(kdfast.InputError) as kernel:
        kdfast.KernelTeacher(steps=1).fit(X, np.ones(len(y)))
    assert str(caught.value) == str(kernel.value)
    with pytest.raises(kdfast.NotFittedError, match="SklearnTeacher is not fitted"):
        kdfast.SklearnTeacher(LogisticRegression()).logits(X)
    teacher = kdfast.SklearnTeacher(LogisticRegression()).fit(X, y)
    with pytest.raises(kdfast.InputError, match=r"^X: expected 3 columns"):
        teacher.logits(X[:, :2])


def test_without_scikit_learn_the_error_says_what_to_install(task, monkeypatch):
    X, y, _ = task
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r'^SklearnTeacher needs scikit-learn: pip install "kdfast\[data\]"$'):
        kdfast.SklearnTeacher(LogisticRegression()).fit(X, y)


@pytest.mark.parametrize(
    "estimator", [LogisticRegression(), KNeighborsClassifier(n_neighbors=5)], ids=["logistic", "neighbours"]
)
def test_compare_trains_the_soft_students_on_sigmoid_of_the_logits(estimator):
    """From a symmetric start (f = 0) the first recorded loss is KL(Bern(p) || Bern(1/2)) = ln 2 - H(p)."""
    data = datasets.gaussians(40, 3, separation=1.5, n_test=20, seed=4)
    result = kdfast.compare(
        data,
        teacher=kdfast.SklearnTeacher(estimator),
        widths=[2],
        seeds=1,
        steps=1,
        init="symmetric",
        dtype=np.float64,
        progress=False,
    )
    teacher = result.teacher  # the fitted teacher (compare may fit a copy of the one given)
    assert isinstance(teacher, kdfast.SklearnTeacher) and hasattr(teacher, "estimator_")
    p = 1 / (1 + np.exp(-teacher.logits(data.X_train)))
    loss = result.table.set_index("mode")["mean_loss"]
    assert loss["soft"] == pytest.approx(np.log(2) - entropy(p).mean(), rel=1e-10)
    assert loss["hard"] == pytest.approx(np.log(2), rel=1e-10)
    f_test = teacher.logits(data.X_test)
    assert result.params["teacher_test_acc"] == pytest.approx(np.mean(np.sign(f_test) == data.y_test))
