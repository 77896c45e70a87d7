"""The champion's trees as plain NumPy arrays, scored without scikit-learn, skops or pandas.

A weekly run whose retraining is not due only scores (issue 23); importing scikit-learn and
skops to load the champion cost about 2 s and 140 MiB of such a run. At training time
``model_bytes`` (pipeline/kudos/store.py) also writes this compact description of the fitted
``HistGradientBoostingRegressor`` into model.skops, as the zip entry ``scorer.npz``, so the
SHA-256 recorded for model.skops covers it. It holds, per tree, the node arrays scikit-learn's
predictor walks (children, feature, threshold, missing-value direction, categorical bitsets, leaf
values), the baseline, the link, the known-category bitsets and the column encoding. ``predict``
walks them as scikit-learn's ``_predict_one_from_raw_data`` does, in float64 and in the same
order of additions, so its predictions equal the estimator's ``predict`` (clipped at 0, as
pipeline/kudos/model.py does); tests/unit/test_kudos_scorer.py compares them on trained models.

The file is a zip of ``.npy`` arrays read with ``allow_pickle=False`` (no object is created from
it) and every index is checked to be in range before use.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.kudos.features import CATEGORICAL, FEATURES

SCORER_ENTRY = "scorer.npz"
FORMAT = 1
ROWS_PER_WALK = 2_048  # rows walked through every tree at once (memory: rows x trees)
# Links of scikit-learn's losses this scorer applies (Poisson: log link).
LINKS = ("log", "identity")
_ARRAYS = ("left", "right", "feature", "threshold", "missing_left", "is_leaf",
           "is_categorical", "bitset", "value", "roots", "cat_bitsets", "known_bitsets",
           "known_map", "columns", "encoder_values", "encoder_offsets", "baseline")


class ScorerInvalid(ValueError):
    """A scorer file is malformed or out of range."""


@dataclass(frozen=True)
class Scorer:
    """All trees of one fitted regressor, concatenated (node indices are global)."""

    left: np.ndarray  # int64 per node
    right: np.ndarray
    feature: np.ndarray  # int64: column of the preprocessed matrix
    threshold: np.ndarray  # float64: go left when value <= threshold
    missing_left: np.ndarray  # bool: where a missing (or unknown category) value goes
    is_leaf: np.ndarray  # bool
    is_categorical: np.ndarray  # bool
    bitset: np.ndarray  # int64: row of cat_bitsets holding the node's left categories
    value: np.ndarray  # float64: leaf values
    roots: np.ndarray  # int64: the root node of each tree, in the order they are added
    cat_bitsets: np.ndarray  # uint32 (n, 8): 256-bit sets of categories going left
    known_bitsets: np.ndarray  # uint32 (n, 8): categories known at fit, per categorical column
    known_map: np.ndarray  # int64 per preprocessed column: its row of known_bitsets
    columns: np.ndarray  # int64: input column of each preprocessed column
    encoder_values: np.ndarray  # float64: each categorical input's known codes, concatenated
    encoder_offsets: np.ndarray  # int64: where each categorical column's codes start/end
    baseline: np.ndarray  # float64, shape (1,)
    link: str
    features: tuple[str, ...]
    categories: dict[str, list[str]]

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        """Predicted kudos (never negative) of the encoded matrix (features.encode)."""
        if len(matrix) == 0:
            return np.zeros(0)
        data = self._preprocess(np.asarray(matrix, dtype=np.float64))
        raw = np.zeros(len(data), dtype=np.float64)
        raw += self.baseline[0]
        # Rows a slice at a time: the walk holds (rows x trees) arrays, which for a whole
        # training history were gigabytes (a first run at 100,000 activities peaked at 1.8 GiB).
        for start in range(0, len(data), ROWS_PER_WALK):
            part = data[start:start + ROWS_PER_WALK]
            for leaf_values in self._leaf_values(part, np.arange(len(part))):
                raw[start:start + ROWS_PER_WALK] += leaf_values
        predicted = np.exp(raw) if self.link == "log" else raw
        return np.clip(predicted, 0, None)

    def _preprocess(self, matrix: np.ndarray) -> np.ndarray:
        """The estimator's column transformer: categorical columns first, each code replaced
        by its index among the codes seen at fit (unknown or missing: NaN); then the rest."""
        if matrix.ndim != 2 or matrix.shape[1] != len(self.features):
            raise ValueError(f"expected {len(self.features)} feature columns")
        data = matrix[:, self.columns].copy()
        for index in range(len(self.encoder_offsets) - 1):
            known = self.encoder_values[self.encoder_offsets[index]:
                                        self.encoder_offsets[index + 1]]
            column = data[:, index]
            position = np.searchsorted(known, column)
            inside = position < len(known)
            found = np.zeros(len(column), dtype=bool)
            found[inside] = known[position[inside]] == column[inside]
            data[:, index] = np.where(found, position.astype(np.float64), np.nan)
        return data

    def _leaf_values(self, data: np.ndarray, rows: np.ndarray) -> list[np.ndarray]:
        """Each tree's leaf value per row, trees in order (scikit-learn's predictor, walked for
        all rows and trees at once)."""
        node = np.broadcast_to(self.roots, (len(rows), len(self.roots))).copy()
        row = rows[:, None]
        while True:
            inner = ~self.is_leaf[node]
            if not inner.any():
                break
            at = node[inner]
            values = data[np.broadcast_to(row, node.shape)[inner], self.feature[at]]
            missing = np.isnan(values)
            categorical = self.is_categorical[at] & ~missing
            code = np.where(categorical & (values >= 0) & (values < 256), values, 0
                            ).astype(np.int64)
            word, bit = code >> 5, (code & 31).astype(np.uint32)
            in_left = ((self.cat_bitsets[self.bitset[at], word] >> bit) & 1).astype(bool)
            known = ((self.known_bitsets[self.known_map[self.feature[at]], word] >> bit) & 1
                     ).astype(bool)
            # A negative code, or one not known at fit, goes where a missing value goes.
            as_missing = missing | (categorical & ((values < 0) | (~in_left & ~known)))
            go_left = np.where(as_missing, self.missing_left[at],
                               np.where(categorical, in_left,
                                        np.where(missing, False, values <= self.threshold[at])))
            node[inner] = np.where(go_left, self.left[at], self.right[at])
        return [self.value[node[:, tree]] for tree in range(len(self.roots))]

    def to_bytes(self) -> bytes:
        """A zip of .npy arrays (and the encoding as JSON), byte-for-byte reproducible."""
        meta = {"format": FORMAT, "link": self.link, "features": list(self.features),
                "categories": self.categories}
        arrays: dict[str, np.ndarray] = {name: getattr(self, name) for name in _ARRAYS}
        arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"),
                                       dtype=np.uint8)
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as target:
            for name in sorted(arrays):
                buffer = io.BytesIO()
                np.save(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
                entry = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                target.writestr(entry, buffer.getvalue())
        return packed.getvalue()


_DTYPES: dict[str, Any] = {
    "left": np.int64, "right": np.int64, "feature": np.int64, "threshold": np.float64,
    "missing_left": np.bool_, "is_leaf": np.bool_, "is_categorical": np.bool_,
    "bitset": np.int64, "value": np.float64, "roots": np.int64, "cat_bitsets": np.uint32,
    "known_bitsets": np.uint32, "known_map": np.int64, "columns": np.int64,
    "encoder_values": np.float64, "encoder_offsets": np.int64, "baseline": np.float64,
}


def from_bytes(data: bytes) -> Scorer:
    """Read and check a scorer file; ScorerInvalid names what is wrong."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            names = set(stored.files)
            if names != {*_ARRAYS, "meta"}:
                raise ScorerInvalid("unexpected arrays")
            arrays = {name: stored[name] for name in _ARRAYS}
            meta = json.loads(stored["meta"].tobytes().decode("utf-8"))
    except ScorerInvalid:
        raise
    except Exception as error:
        raise ScorerInvalid(f"unreadable ({type(error).__name__})") from None
    for name, dtype in _DTYPES.items():
        if arrays[name].dtype != dtype:
            raise ScorerInvalid(f"{name} has dtype {arrays[name].dtype}")
    if (not isinstance(meta, dict) or meta.get("format") != FORMAT
            or meta.get("link") not in LINKS or not isinstance(meta.get("features"), list)
            or not isinstance(meta.get("categories"), dict)):
        raise ScorerInvalid("malformed description")
    categories = meta["categories"]
    if (set(categories) != set(CATEGORICAL) or not all(
            isinstance(values, list) and all(isinstance(v, str) for v in values)
            for values in categories.values())):
        raise ScorerInvalid("malformed category lists")
    scorer = Scorer(**arrays, link=meta["link"],
                    features=tuple(str(name) for name in meta["features"]),
                    categories={name: list(values) for name, values in categories.items()})
    check(scorer)
    return scorer


def check(scorer: Scorer) -> None:
    """Every index in range, every value finite: ScorerInvalid otherwise."""
    nodes = len(scorer.left)
    columns = len(scorer.features)
    if nodes == 0 or len(scorer.roots) == 0:
        raise ScorerInvalid("no trees")
    for name in ("right", "feature", "threshold", "missing_left", "is_leaf", "is_categorical",
                 "bitset", "value"):
        if getattr(scorer, name).shape != (nodes,):
            raise ScorerInvalid(f"{name} has the wrong shape")
    inner = ~scorer.is_leaf
    if (np.any(scorer.roots < 0) or np.any(scorer.roots >= nodes)
            or np.any(scorer.left[inner] < 0) or np.any(scorer.left[inner] >= nodes)
            or np.any(scorer.right[inner] < 0) or np.any(scorer.right[inner] >= nodes)):
        raise ScorerInvalid("a tree points at a node outside its node array")
    # Children come after their parent: every walk ends at a leaf.
    index = np.arange(nodes)
    if np.any(scorer.left[inner] <= index[inner]) or np.any(scorer.right[inner] <= index[inner]):
        raise ScorerInvalid("a tree's node points backwards")
    if np.any(scorer.feature[inner] < 0) or np.any(scorer.feature[inner] >= columns):
        raise ScorerInvalid("a tree splits on a feature that does not exist")
    if scorer.cat_bitsets.ndim != 2 or scorer.cat_bitsets.shape[1] != 8 or \
            scorer.known_bitsets.ndim != 2 or scorer.known_bitsets.shape[1] != 8 or \
            len(scorer.cat_bitsets) == 0 or len(scorer.known_bitsets) == 0:
        raise ScorerInvalid("malformed category bitsets")
    if np.any(scorer.bitset < 0) or np.any(scorer.bitset >= len(scorer.cat_bitsets)):
        raise ScorerInvalid("a tree points at a category set that does not exist")
    if (scorer.known_map.shape != (columns,) or np.any(scorer.known_map < 0)
            or np.any(scorer.known_map >= len(scorer.known_bitsets))):
        raise ScorerInvalid("malformed known-category map")
    if (scorer.columns.shape != (columns,)
            or not np.array_equal(np.sort(scorer.columns), np.arange(columns))):
        raise ScorerInvalid("malformed column order")
    offsets = scorer.encoder_offsets
    if (offsets.ndim != 1 or len(offsets) < 1 or len(offsets) - 1 > columns or offsets[0] != 0
            or np.any(np.diff(offsets) < 0) or offsets[-1] != len(scorer.encoder_values)):
        raise ScorerInvalid("malformed category encoder")
    if not (np.all(np.isfinite(scorer.value)) and np.all(np.isfinite(scorer.baseline))
            and scorer.baseline.shape == (1,)):
        raise ScorerInvalid("a tree holds a value that is not finite")


def from_estimator(estimator: Any, categories: dict[str, list[str]],
                   features: tuple[str, ...] = FEATURES) -> Scorer:
    """The scorer of a fitted single-output HistGradientBoostingRegressor (its private
    attributes, scikit-learn 1.9; ScorerInvalid when they are not as expected)."""
    link = type(estimator._loss.link).__name__
    names = {"LogLink": "log", "IdentityLink": "identity"}
    if link not in names or estimator.n_trees_per_iteration_ != 1:
        raise ScorerInvalid(f"unsupported model ({link})")
    mask = np.asarray(estimator.is_categorical_, dtype=bool) \
        if estimator.is_categorical_ is not None else np.zeros(len(features), dtype=bool)
    order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)]).astype(np.int64)
    encoder_values: list[np.ndarray] = []
    offsets = [0]
    preprocessor = estimator._preprocessor
    if preprocessor is not None:
        remapped = np.zeros(len(mask), dtype=bool)
        remapped[preprocessor.output_indices_["encoder"]] = True
        if not np.array_equal(remapped, np.sort(mask)[::-1]):
            raise ScorerInvalid("unexpected column order")
        for known in preprocessor.named_transformers_["encoder"].categories_:
            known = np.asarray(known, dtype=np.float64)
            known = known[~np.isnan(known)]  # missing stays missing
            encoder_values.append(known)
            offsets.append(offsets[-1] + len(known))
    known_bitsets, known_map = estimator._bin_mapper.make_known_categories_bitsets()
    parts: dict[str, list[np.ndarray]] = {name: [] for name in (
        "left", "right", "feature", "threshold", "missing_left", "is_leaf", "is_categorical",
        "bitset", "value")}
    roots, bitsets = [], []
    start = n_bitsets = 0
    for iteration in estimator._predictors:
        tree = iteration[0]
        nodes = tree.nodes
        leaf = nodes["is_leaf"].astype(bool)
        roots.append(start)
        parts["left"].append(np.where(leaf, 0, nodes["left"].astype(np.int64) + start))
        parts["right"].append(np.where(leaf, 0, nodes["right"].astype(np.int64) + start))
        parts["feature"].append(np.where(leaf, 0, nodes["feature_idx"].astype(np.int64)))
        parts["threshold"].append(nodes["num_threshold"].astype(np.float64))
        parts["missing_left"].append(nodes["missing_go_to_left"].astype(bool))
        parts["is_leaf"].append(leaf)
        categorical = nodes["is_categorical"].astype(bool) & ~leaf
        parts["is_categorical"].append(categorical)
        parts["bitset"].append(np.where(categorical,
                                        nodes["bitset_idx"].astype(np.int64) + n_bitsets, 0))
        parts["value"].append(nodes["value"].astype(np.float64))
        raw = np.asarray(tree.raw_left_cat_bitsets, dtype=np.uint32).reshape(-1, 8)
        bitsets.append(raw)
        n_bitsets += len(raw)
        start += len(nodes)
    bitsets.append(np.zeros((1, 8), dtype=np.uint32))  # a row for numeric nodes to point at
    known_bitsets = np.asarray(known_bitsets, dtype=np.uint32).reshape(-1, 8)
    if len(known_bitsets) == 0:
        known_bitsets = np.zeros((1, 8), dtype=np.uint32)
    scorer = Scorer(
        **{name: np.concatenate(values) for name, values in parts.items()},
        roots=np.asarray(roots, dtype=np.int64), cat_bitsets=np.concatenate(bitsets),
        known_bitsets=known_bitsets, known_map=np.asarray(known_map, dtype=np.int64),
        columns=order,
        encoder_values=(np.concatenate(encoder_values) if encoder_values
                        else np.zeros(0, dtype=np.float64)),
        encoder_offsets=np.asarray(offsets, dtype=np.int64),
        baseline=np.asarray(estimator._baseline_prediction, dtype=np.float64).reshape(1),
        link=names[link], features=tuple(features),
        categories={name: list(values) for name, values in categories.items()})
    check(scorer)
    return scorer
