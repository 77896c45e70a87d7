"""The kudos model in the lake: ``models/kudos/YYYY-MM-DD/`` holds model.skops, metrics.json
and features.json.

model.skops is a skops file (a zip of JSON and NumPy arrays), never a pickle. Loading it checks,
in this order, before anything is used:

1. its SHA-256 against the one recorded in kudos_model_runs when it was trained;
2. skops' trusted-types check with the fixed list below (any other type, e.g. a function
   smuggled in, refuses the file without creating it);
3. every tree's node array: child, feature and bitset indices in range, finite values
   (scikit-learn's predictor indexes these without bounds checks).

A file failing any check raises ModelRefused with a one-line message; nothing in it runs.

A run that only scores (retraining not due, issue 23) uses ``load_scorer``: the SHA-256 check,
then the NumPy-only scorer model.skops holds as its ``scorer.npz`` entry (pipeline/kudos/scorer.py),
so neither skops nor scikit-learn is imported. A file written before the scorer existed goes once
through every check above and its scorer is written beside it.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.backends.lake import Lake
from pipeline.kudos import scorer as kudos_scorer
from pipeline.kudos.features import CATEGORICAL, FEATURES, categorical_mask
from pipeline.kudos.scorer import SCORER_ENTRY, Scorer, ScorerInvalid

if TYPE_CHECKING:  # scikit-learn and skops are imported only to train or to upgrade a model
    from sklearn.ensemble import HistGradientBoostingRegressor

MODEL_FILE = "model.skops"
METRICS_FILE = "metrics.json"
FEATURES_FILE = "features.json"

# Types a HistGradientBoostingRegressor's skops file holds beyond skops' own defaults
# (reviewed for scikit-learn 1.9.1 / skops 0.16.0; the node arrays are checked below).
TRUSTED_TYPES: list[str] = [
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "functools.partial",
    "sklearn.utils.validation.check_array",
]


class ModelRefused(RuntimeError):
    """A model file failed a safety check and was not loaded."""


class ModelUnavailable(ModelRefused):
    """A model file is missing, or was made for another feature list: the next training
    replaces such a champion (a tampered file, by contrast, stops the run)."""


@dataclass(frozen=True)
class KudosModel:
    """A fitted estimator with the feature order and category codes it was trained with."""

    estimator: HistGradientBoostingRegressor
    categories: dict[str, list[str]]
    features: tuple[str, ...] = FEATURES


def model_prefix(model_version: str) -> str:
    """Lake folder of a version: '2026-11-29' -> models/kudos/2026-11-29/, a second training
    of that date ('2026-11-29+2') -> models/kudos/2026-11-29/2/; an athlete's on an install of
    several (issue 26): 'a42-2026-11-29' -> models/kudos/42/2026-11-29/."""
    owner = ""
    if model_version.startswith("a") and "-" in model_version:
        tag, _, model_version = model_version.partition("-")
        owner = f"{int(tag[1:])}/"
    day, _, retry = model_version.partition("+")
    return f"models/kudos/{owner}{day}/" + (f"{retry}/" if retry else "")


_SKOPS_ID = re.compile(r'("__id__": )(\d+)|("file": ")(\d+)(\.npy")')


def model_bytes(model: KudosModel) -> bytes:
    """The skops serialisation of a model and its encoding; the same model gives the same
    bytes, so the SHA-256 depends on the model alone.

    skops names objects by their memory address (``id()``) and zip entries carry the time:
    both are renumbered/fixed here (object numbers in order of first appearance).
    The zip also holds the model's NumPy-only scorer (pipeline/kudos/scorer.py) as the entry
    ``scorer.npz``: skops ignores it, and the SHA-256 recorded for the file covers it.
    """
    import skops.io as sio

    data = sio.dumps({"estimator": model.estimator, "features": list(model.features),
                      "categories": {name: list(values)
                                     for name, values in model.categories.items()}})
    numbers: dict[str, str] = {}

    def number(address: str) -> str:
        return numbers.setdefault(address, str(len(numbers) + 1))

    def renumber(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1) + number(match.group(2))
        return match.group(3) + number(match.group(4)) + match.group(5)

    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(
            packed, "w", compression=zipfile.ZIP_DEFLATED) as target:
        schema = _SKOPS_ID.sub(renumber, source.read("schema.json").decode("utf-8"))
        entries = {"schema.json": schema.encode("utf-8"),
                   SCORER_ENTRY: kudos_scorer.from_estimator(
                       model.estimator, model.categories, model.features).to_bytes()}
        for name in source.namelist():
            if name != "schema.json":
                stem, dot, extension = name.partition(".")
                entries[(number(stem) if stem.isdigit() else stem) + dot + extension] = (
                    source.read(name))
        for name in sorted(entries):
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, entries[name])
    return packed.getvalue()


def sha256(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def save_model(lake: Lake, model_version: str, data: bytes, metrics: dict[str, Any]) -> None:
    """Write model.skops, metrics.json and features.json under the version's folder."""
    prefix = model_prefix(model_version)
    features = {"features": list(FEATURES), "categorical": list(CATEGORICAL),
                "categories": json.loads(json.dumps(metrics.get("categories", {})))}
    with tempfile.TemporaryDirectory(prefix="kudos-model-") as folder:
        for name, content in ((MODEL_FILE, data),
                              (METRICS_FILE, _json_bytes(metrics)),
                              (FEATURES_FILE, _json_bytes(features))):
            path = Path(folder) / name
            path.write_bytes(content)
            lake.put_file(path, prefix + name)


def _json_bytes(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")


def model_exists(lake: Lake, model_version: str) -> bool:
    """Whether a version's model file is in the lake."""
    return lake.exists(model_prefix(model_version) + MODEL_FILE)


def read_model_file(lake: Lake, model_version: str) -> bytes:
    """The raw bytes of a version's model file; ModelRefused when it is missing."""
    key = model_prefix(model_version) + MODEL_FILE
    if not lake.exists(key):
        raise ModelUnavailable(f"kudos model {model_version}: {lake.uri(key)} is missing")
    with lake.open_binary(key) as stream:
        return stream.read()


def load_model(lake: Lake, model_version: str, expected_sha256: str | None) -> KudosModel:
    """Load a version from the lake after every safety check (see the module docstring)."""
    key = model_prefix(model_version) + MODEL_FILE
    return load_model_bytes(read_model_file(lake, model_version), expected_sha256,
                            f"kudos model {model_version} ({lake.uri(key)})")


def load_model_bytes(data: bytes, expected_sha256: str | None, where: str) -> KudosModel:
    """Check and load a model file's bytes; ModelRefused says which check failed."""
    advice = ("it was not loaded; restore the file, or delete its folder so that the next "
              "run trains a new champion")
    if expected_sha256 is not None and sha256(data) != expected_sha256:
        raise ModelRefused(f"{where} refused: its SHA-256 differs from the one recorded when it "
                           f"was trained (changed since); {advice}")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ModelRefused(f"{where} refused: not a skops file (a pickle or other format?); "
                           f"{advice}")
    import skops.io as sio

    try:
        untrusted = [name for name in sio.get_untrusted_types(data=data)
                     if name not in TRUSTED_TYPES]
        if untrusted:
            raise ModelRefused(f"{where} refused: it holds untrusted types "
                               f"{', '.join(untrusted)}; {advice}")
        loaded = sio.loads(data, trusted=TRUSTED_TYPES)
    except ModelRefused:
        raise
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ModelRefused(f"{where} refused: unreadable skops file "
                           f"({type(error).__name__}: {first[:200]}); {advice}") from None
    return _checked(loaded, where, advice)


def _checked(loaded: Any, where: str, advice: str) -> KudosModel:
    from sklearn.ensemble import HistGradientBoostingRegressor

    def refuse(problem: str) -> ModelRefused:
        return ModelRefused(f"{where} refused: {problem}; {advice}")

    if not isinstance(loaded, dict) or set(loaded) != {"estimator", "features", "categories"}:
        raise refuse("unexpected content")
    estimator = loaded["estimator"]
    if type(estimator) is not HistGradientBoostingRegressor:
        raise refuse(f"holds a {type(estimator).__name__}, not a HistGradientBoostingRegressor")
    features = loaded["features"]
    if not isinstance(features, list) or not all(isinstance(name, str) for name in features):
        raise refuse("its feature list is malformed")
    if tuple(features) != FEATURES:
        raise ModelUnavailable(f"{where} was trained on other features than this version's; "
                               "the next training replaces it")
    categories = loaded["categories"]
    if (not isinstance(categories, dict) or set(categories) != set(CATEGORICAL)
            or not all(isinstance(values, list) and all(isinstance(v, str) for v in values)
                       for values in categories.values())):
        raise refuse("its category lists are malformed")
    _check_trees(estimator, len(FEATURES), refuse)
    return KudosModel(estimator, {name: list(values) for name, values in categories.items()})


def scorer_key(model_version: str, model_sha256: str) -> str:
    """Lake key of the scorer written beside a model file made before the scorer existed
    (named by that file's SHA-256, so it belongs to that file only)."""
    return model_prefix(model_version) + f"scorer-{model_sha256}.npz"


def load_scorer(lake: Lake, model_version: str, expected_sha256: str) -> Scorer:
    """The champion as a NumPy-only scorer (pipeline/kudos/scorer.py), without scikit-learn
    or skops when model.skops holds its ``scorer.npz`` entry.

    The file's SHA-256 is checked first, as by load_model (ModelRefused, ModelUnavailable
    alike). A model file written before the scorer existed is loaded once through every check of
    load_model, and its scorer is written beside it (``scorer-<SHA-256>.npz``) for later runs.
    """
    key = model_prefix(model_version) + MODEL_FILE
    where = f"kudos model {model_version} ({lake.uri(key)})"
    advice = ("it was not loaded; restore the file, or delete its folder so that the next "
              "run trains a new champion")
    data = read_model_file(lake, model_version)
    if sha256(data) != expected_sha256:
        raise ModelRefused(f"{where} refused: its SHA-256 differs from the one recorded when it "
                           f"was trained (changed since); {advice}")
    embedded = _scorer_entry(data)
    if embedded is not None:
        try:
            scorer = kudos_scorer.from_bytes(embedded)
        except ScorerInvalid as error:
            raise ModelRefused(f"{where} refused: its scorer is invalid ({error}); "
                               f"{advice}") from None
        return _same_features(scorer, where)
    beside = scorer_key(model_version, expected_sha256)
    if lake.exists(beside):
        with lake.open_binary(beside) as stream:
            try:
                return _same_features(kudos_scorer.from_bytes(stream.read()), where)
            except ScorerInvalid:
                pass
        lake.delete(beside)  # unreadable: rebuilt below from the checked model file
    model = load_model_bytes(data, expected_sha256, where)
    scorer = kudos_scorer.from_estimator(model.estimator, model.categories, model.features)
    with tempfile.TemporaryDirectory(prefix="kudos-scorer-") as folder:
        path = Path(folder) / "scorer.npz"
        path.write_bytes(scorer.to_bytes())
        lake.put_file(path, beside)
    return scorer


def _scorer_entry(data: bytes) -> bytes | None:
    """model.skops's scorer.npz entry, or None (not a zip, or a file without one)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if SCORER_ENTRY not in archive.namelist():
                return None
            return archive.read(SCORER_ENTRY)
    except zipfile.BadZipFile:
        return None


def _same_features(scorer: Scorer, where: str) -> Scorer:
    if scorer.features != FEATURES:
        raise ModelUnavailable(f"{where} was trained on other features than this version's; "
                               "the next training replaces it")
    return scorer


def _same_flags(values: Any, expected: np.ndarray) -> bool:
    return (isinstance(values, np.ndarray) and values.shape == expected.shape
            and np.array_equal(values.astype(bool), expected))


def _check_trees(estimator: HistGradientBoostingRegressor, n_features: int, refuse: Any) -> None:
    if getattr(estimator, "n_features_in_", None) != n_features:
        raise refuse("its number of input features is wrong")
    if not np.all(np.isfinite(np.asarray(estimator._baseline_prediction, dtype=float))):
        raise refuse("its baseline prediction is not finite")
    # The estimator moves categorical columns first before binning; its bin mapper holds the
    # categories' codes, which prediction writes into 256-bit sets without bounds checks.
    mask = categorical_mask()
    remapped = np.sort(mask)[::-1]
    mapper = getattr(estimator, "_bin_mapper", None)
    thresholds = getattr(mapper, "bin_thresholds_", None)
    if (not _same_flags(getattr(estimator, "is_categorical_", None), mask)
            or not _same_flags(getattr(estimator, "_is_categorical_remapped", None), remapped)
            or not _same_flags(getattr(mapper, "is_categorical_", None), remapped)
            or not isinstance(thresholds, list) or len(thresholds) != n_features):
        raise refuse("its categorical feature table is malformed")
    for index in np.flatnonzero(remapped):
        values = thresholds[index]
        if (not isinstance(values, np.ndarray) or not np.all(np.isfinite(values))
                or np.any(values < 0) or np.any(values > 255)):
            raise refuse("its category table holds codes outside 0-255")
    predictors = getattr(estimator, "_predictors", None)
    if not isinstance(predictors, list) or not predictors:
        raise refuse("it holds no trees")
    for iteration in predictors:
        if not isinstance(iteration, list) or len(iteration) != 1:
            raise refuse("its tree list is malformed")
        tree = iteration[0]
        nodes = getattr(tree, "nodes", None)
        if not isinstance(nodes, np.ndarray) or nodes.dtype.names is None or len(nodes) == 0:
            raise refuse("a tree has no node array")
        count = len(nodes)
        inner = nodes["is_leaf"] == 0
        for child in ("left", "right"):
            indices = nodes[child][inner].astype(np.int64)
            if np.any(indices <= 0) or np.any(indices >= count):
                raise refuse("a tree points at a node outside its node array")
        if np.any(nodes["feature_idx"][inner] >= n_features):
            raise refuse("a tree splits on a feature that does not exist")
        if not np.all(np.isfinite(nodes["value"])):
            raise refuse("a tree holds a value that is not finite")
        bitsets = getattr(tree, "raw_left_cat_bitsets", None)
        categorical = inner & (nodes["is_categorical"] == 1)
        if np.any(categorical) and (bitsets is None or np.any(
                nodes["bitset_idx"][categorical] >= len(bitsets))):
            raise refuse("a tree points at a category set that does not exist")
