"""Fitting a species head on cached features: the feature set of a split, batches, the stages of the fit
(first the head, then block 13 with it), logits with test-time flip, and saving the weights alone."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier.datasets.samples import Sample, catalog_resolver, load_samples
from classifier.serving import heads, weights
from classifier.serving.heads import build_head
from classifier.training import features, progress
from classifier.training.recipe import TrainOptions

log = logging.getLogger(__name__)


@dataclass
class FeatureSet:
    samples: list[Sample]
    classes: list[str]
    y: np.ndarray
    maps: dict[str, np.ndarray]  # view -> (N, 7, 7, 1024) float16 from block 13, rows in sample order
    block12: dict[str, np.ndarray] = field(default_factory=dict)  # the same from block 12 (block13 head)

    def split(self, name: str) -> np.ndarray:
        return np.array([i for i, s in enumerate(self.samples) if s.split == name])

    def pooled(self, view: str, rows: np.ndarray) -> np.ndarray:
        return np.asarray(self.maps[view][rows], dtype=np.float32).mean(axis=(1, 2))


Resplit = Callable[[list[Sample]], list[Sample]]


def load_features(
    data_dirs: list[Path],
    catalog,
    options: TrainOptions,
    views: set[str],
    extra_samples: Sequence[Sample] = (),
    resplit: Resplit | None = None,
) -> FeatureSet:
    """The datasets' samples (plus ``extra_samples``, e.g. reviewed corrections) with their features.

    ``resplit`` replaces the seeded split, e.g. by the cross-collection one
    (classifier/datasets/crosscollection.py).
    """
    samples = load_samples(
        data_dirs,
        catalog_resolver(catalog),
        seed=options.seed,
        valid_fraction=options.valid_fraction,
        test_fraction=options.test_fraction,
    )
    samples += list(extra_samples)
    if resplit is not None:
        samples = resplit(samples)
    samples.sort(key=lambda s: str(s.path))
    classes = sorted({s.label for s in samples})
    index = {c: i for i, c in enumerate(classes)}
    paths = [s.path for s in samples]
    layers = [features.FEATURE_LAYER]
    if heads.canonical(options.head) == "block13":
        layers.append(heads.feature_layer("block13"))
    features.cache_feature_maps(paths, sorted(views), layers)  # one pass for both layers
    maps = {view: features.compute_feature_maps(paths, view) for view in sorted(views)}
    if heads.canonical(options.head) != "seed":  # only the seed head reads the 7×7 map: keep it pooled
        maps = {
            view: m.mean(axis=(1, 2), keepdims=True, dtype=np.float32).astype(np.float16)
            for view, m in maps.items()
        }
    block12 = {}
    if heads.canonical(options.head) == "block13":
        block12 = {
            view: features.compute_feature_maps(paths, view, layer=heads.feature_layer("block13"))
            for view in sorted(views)
        }
    return FeatureSet(samples, classes, np.array([index[s.label] for s in samples]), maps, block12)


def _inputs(data: FeatureSet, head: str, view: str, rows: np.ndarray, dtype=np.float32) -> np.ndarray:
    head = heads.canonical(head)
    if head == "seed":
        return np.asarray(data.maps[view][rows], dtype=dtype)
    if head == "block13":
        return np.asarray(data.block12[view][rows], dtype=dtype)
    return data.pooled(view, rows)


def _batches(x: np.ndarray, y: np.ndarray, n_classes: int, batch_size: int, sample_weight=None, shuffle=True):
    """Mini-batches cast to float32 one at a time: the feature maps stay float16 in memory (a float32 copy
    of every view of every photo does not fit beside everything else on a small machine)."""
    import keras

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.order = np.arange(len(x))
            self.on_epoch_end()

        def __len__(self) -> int:
            return -(-len(x) // batch_size)

        def __getitem__(self, i: int):
            rows = np.sort(self.order[i * batch_size : (i + 1) * batch_size])
            batch = (np.asarray(x[rows], dtype=np.float32), keras.utils.to_categorical(y[rows], n_classes))
            return batch if sample_weight is None else (*batch, sample_weight[rows])

        def on_epoch_end(self) -> None:
            if shuffle:
                np.random.shuffle(self.order)

    return Batches()


def _predict(model, x: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [model.predict_on_batch(np.asarray(x[i : i + 256], dtype=np.float32)) for i in range(0, len(x), 256)]
    )


Schedules = dict[str, list[float]]


def fit_head(
    data: FeatureSet,
    options: TrainOptions,
    *,
    refit: Schedules | None = None,
    rows: np.ndarray | None = None,
):
    """Train the head on the train split, early-stopped on the validation split; returns it with the
    learning-rate schedule of each stage.

    With ``refit`` (the schedules of an early-stopped run) it trains on train and validation together for
    exactly those schedules: the photos a species has are too few to leave a third of them out of the
    shipped model, and the test split stays untouched either way. ``rows`` (with ``refit``) trains on
    those photos instead, e.g. every photo for a model shipped without a held-out split.
    """
    import keras

    keras.utils.set_random_seed(options.seed)
    if rows is None:
        rows = data.split("train")
        if refit is not None:
            rows = np.concatenate([rows, data.split("valid")])
    kind, n = heads.canonical(options.head), len(data.classes)
    first = "cosine" if kind == "block13" else kind  # block13 starts from a trained cosine head
    head = build_head(first, n, feature_shape=_inputs(data, first, "orig", rows[:1]).shape[1:])
    schedules = {
        "head": _fit_stage(
            head,
            data,
            first,
            rows,
            options,
            options.learning_rate,
            patience=(2, 5),
            schedule=refit and refit["head"],
        )
    }
    if kind == "block13":
        head = build_head("block13", n, feature_shape=data.block12["orig"].shape[1:], classifier=head)
        heads.copy_block13_from(head, weights.load_imagenet_mobilenet())
        schedules["block13"] = _fit_stage(
            head,
            data,
            kind,
            rows,
            options,
            options.finetune_learning_rate,
            patience=(1, 3),
            schedule=refit and refit["block13"],
            max_epochs=options.finetune_epochs,
        )
    return head, schedules


def _fit_stage(
    model,
    data: FeatureSet,
    kind: str,
    rows: np.ndarray,
    options: TrainOptions,
    learning_rate: float,
    *,
    patience: tuple[int, int],
    schedule: list[float] | None,
    max_epochs: int | None = None,
) -> list[float]:
    import keras

    n = len(data.classes)
    views = options.train_views
    if kind == "block13" and options.finetune_views:
        views = options.finetune_views
    x_train = np.concatenate([_inputs(data, kind, v, rows, np.float16) for v in views])
    y_train = np.concatenate([data.y[rows]] * len(views))
    # Class-balanced loss: a species with 2 training photos must count as much as one with 35.
    counts = np.bincount(y_train, minlength=n).astype(np.float32)
    sample_weight = (len(y_train) / (n * np.maximum(counts, 1)))[y_train] if options.balanced else None
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=options.label_smoothing),
        metrics=["accuracy"],
    )
    if schedule is None:
        valid = data.split("valid")
        fit_args = {
            "epochs": max_epochs or options.epochs,
            "validation_data": _batches(
                _inputs(data, kind, "orig", valid, np.float16), data.y[valid], n, 256, shuffle=False
            ),
            "callbacks": [
                keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=patience[0]),
                keras.callbacks.EarlyStopping(
                    monitor="val_loss", patience=patience[1], restore_best_weights=True
                ),
            ],
        }
    else:
        fit_args = {
            "epochs": len(schedule),
            "callbacks": [keras.callbacks.LearningRateScheduler(lambda epoch: schedule[epoch])],
        }
    history = model.fit(
        _batches(
            x_train,
            y_train,
            n,
            options.batch_size if kind == "block13" else options.head_batch_size,
            sample_weight,
        ),
        verbose=progress.keras_verbose(),
        **{**fit_args, "callbacks": [*fit_args["callbacks"], *progress.epoch_logger(f"{kind} head")]},
    )
    if schedule is not None:
        return schedule
    rates = [float(lr) for lr in history.history.get("learning_rate", [])]
    return rates[: int(np.argmin(history.history["val_loss"])) + 1]  # up to the epoch whose weights were kept


def head_logits(head, data: FeatureSet, rows: np.ndarray, *, head_kind: str, tta: bool) -> np.ndarray:
    logits = _predict(head, _inputs(data, head_kind, "orig", rows, np.float16))
    if tta:
        logits = (logits + _predict(head, _inputs(data, head_kind, "flip", rows, np.float16))) / 2
    return np.asarray(logits, dtype=np.float64)


def save_head(head, kind: str, num_classes: int, feature_shape: tuple[int, ...], path: Path) -> None:
    """Save the weights alone: a compiled model would also write its optimizer state (3× the size)."""
    clean = build_head(kind, num_classes, feature_shape=tuple(feature_shape))
    clean.set_weights(head.get_weights())
    clean.save_weights(path)


def cosine_weights(head) -> tuple[np.ndarray, float]:
    """The cosine classifier's class weights ``(features, classes)`` and its scale."""
    for layer in _walk(head):
        if type(layer).__name__ == "CosineLogits":
            kernel, scale = layer.get_weights()
            return np.asarray(kernel), float(scale)
    raise ValueError("the head has no cosine classifier")


def _walk(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _walk(layer)
