"""The inference API the web service uses: ``load()`` and ``Classifier.predict()``."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from classifier.catalog import Catalog
from classifier.result import Bird, PhotoResult, Prediction
from classifier.serving import calibration, engine_choice, images, integrity, locate, openset, ranks
from classifier.serving.calibration import softmax
from classifier.serving.choose import REGION_GATE, Look, choose
from classifier.serving.config import BATCH_SIZE, ModelConfig, Options, default_model_dir
from classifier.serving.locate import Locator

# Photos are decoded with the shorter side at least this (JPEG: at 1/2..1/8 scale), finer only for crops.
LOCATE_DECODE = 352
# "unsure" flip TTA: a flipped second pass only for looks whose first top-1 confidence is below this
# (measured on the validation split, see the model card).
TTA_UNSURE_BELOW = 0.9
# What a species only the backbone's own head knows was learned from (classifier/serving/backbones/union.py).
LEARNED_FROM_INAT = "many iNaturalist photos"


class Classifier:
    """A trained model: where the birds are in a photo, their species with calibrated confidence, and
    whether there is a bird at all."""

    def __init__(self, model_dir: Path, options: Options | None = None):
        options = options or Options()
        self.options = options
        integrity.verify_model(model_dir)  # ModelDamaged before anything is read from a damaged model
        self.config = ModelConfig.read(model_dir)
        self.model_version = self.config.version
        self.catalog = Catalog.load(model_dir / "catalog.json")
        self._calibrate = calibration.for_model(model_dir)  # read once, not at every forward pass
        self.batch_size = options.batch_size
        # Flip TTA: "always", "never", or "unsure" (a second, flipped pass only where the first is unsure).
        self.tta = options.tta or ("unsure" if self.config.tta_flip else "never")
        self._engine = engine_choice.create_checked(
            self.config,
            options.engine,
            precision=options.precision,
            threads=options.threads,
        )
        self.engine_name = self._engine.name
        self.locator = Locator(
            self.config.bird_classes,
            engine="tensorflow" if self.engine_name == "tensorflow" else "litert",
            threads=options.threads,
        )
        self._lock = threading.Lock()  # one forward pass at a time; the engine already uses every core

    @property
    def tta_flip(self) -> bool:
        return self.tta != "never"

    def predict_arrays(self, batch: np.ndarray, tta: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated species probabilities and bird scores for a uint8 ``(N, 224, 224, 3)`` batch."""
        _, probs, bird_scores = self.forward(batch, tta)
        return probs, bird_scores

    def forward(self, batch: np.ndarray, tta: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Raw species logits (flip-averaged where TTA applies), their calibrated probabilities, and bird
        scores for a uint8 ``(N, 224, 224, 3)`` batch."""
        tta = tta or self.tta
        with self._lock:
            species, imagenet_logits = self._engine(batch) if len(batch) else _empty(self.config)
            if tta == "always":
                species = (species + self._flipped_species(batch)) / 2
            elif tta == "unsure" and len(batch):
                first = softmax(species, self.config.temperature).max(axis=1)
                unsure = np.flatnonzero(first < TTA_UNSURE_BELOW)
                if len(unsure):
                    species = species.copy()
                    species[unsure] = (species[unsure] + self._flipped_species(batch[unsure])) / 2
        probs = self._calibrate(species)  # per-group temperatures (model card)
        bird_scores = softmax(imagenet_logits)[:, list(self.config.bird_classes)].sum(axis=1)
        return species, probs, bird_scores

    def _flipped_species(self, batch: np.ndarray) -> np.ndarray:
        """Species logits of the mirrored images; an engine that can skip its bird-gate outputs does."""
        flipped = batch[:, :, ::-1]
        only = getattr(self._engine, "species", None)
        return only(flipped) if callable(only) else self._engine(flipped)[0]

    def predict(
        self,
        items: Sequence[images.ImageInput],
        top_k: int = 5,
        regions: Sequence[Sequence[float] | None] | None = None,
    ) -> list[PhotoResult]:
        """One result per image, in order (``classifier/result.py``; its JSON shape is in the README).

        ``regions``: per image, a user box ``[x, y, w, h]`` in 0..1 to name instead of locating, or None.
        Raises ``InvalidImage`` if any input cannot be decoded (callers that must not lose the rest decode
        with ``open_image`` first), ``ValueError`` for a region that is empty or outside the photo."""
        if regions is not None and len(regions) != len(items):
            raise ValueError(f"{len(regions)} regions for {len(items)} images")
        results: list[PhotoResult] = []
        for start in range(0, len(items), self.batch_size):
            chunk = list(items[start : start + self.batch_size])
            boxes = list(regions[start : start + len(chunk)]) if regions is not None else [None] * len(chunk)
            results += self._predict_chunk(chunk, boxes, top_k)
        return results

    def _predict_chunk(
        self, items: list[images.ImageInput], user_boxes: list[Sequence[float] | None], top_k: int
    ) -> list[PhotoResult]:
        user = [None if box is None else locate.valid_region(list(box)) for box in user_boxes]
        photos = [images.open_photo(item, min_size=LOCATE_DECODE) for item in items]
        plans: list[list[images.Box]] = []  # per photo, the boxes to name: the whole (or user's) first
        arrays: list[np.ndarray] = []
        for photo, box in zip(photos, user, strict=True):
            if box is not None:
                plans.append([box])
                arrays.append(photo.crops([box]))
                continue
            found = [c.box for c in self.locator(photo.image)]
            plans.append([images.WHOLE, *found])
            crops = [locate.crop_box(b, photo.size) for b in found]
            arrays.append(np.concatenate([photo.whole()[None], photo.crops(crops)]))
        logits, probs, bird_scores = self.forward(np.concatenate(arrays))
        results, at = [], 0
        for plan, box in zip(plans, user, strict=True):
            gates = [self.config.bird_threshold] + [max(self.config.bird_threshold, REGION_GATE)] * (
                len(plan) - 1
            )
            looks = [
                Look(b, probs[at + i], float(bird_scores[at + i]), gates[i], logits[at + i])
                for i, b in enumerate(plan)
            ]
            at += len(plan)
            chosen = looks if box is not None else choose(looks[0], looks[1:])
            results.append(self._result(chosen, top_k))
        return results

    def _result(self, looks: list[Look], top_k: int) -> PhotoResult:
        return PhotoResult(self.model_version, tuple(self._bird(look, top_k) for look in looks))

    def _bird(self, look: Look, top_k: int) -> Bird:
        return Bird(
            box=tuple(round(float(v), 6) for v in look.box),  # type: ignore[arg-type]
            bird_score=round(look.bird_score, 6),
            is_bird=look.passes,
            predictions=self.top_k(look.probs, top_k),
            answer=ranks.answer(look.probs, self.config.classes, self.catalog, known=self._known(look)),
        )

    def _known(self, look: Look) -> openset.Known:
        """The open-set verdict (classifier/serving/openset.py); without a rule in the config, never
        unknown."""
        rule = self.config.open_set
        if rule is None or look.logits is None:
            return openset.Known(score=float(look.probs.max()))
        top = self.catalog[self.config.classes[int(np.argmax(look.probs))]]
        return openset.judge(look.logits, look.probs, rule, top.training_photos)

    def top_k(self, probs: np.ndarray, top_k: int) -> tuple[Prediction, ...]:
        predictions = []
        for index in np.argsort(-probs)[:top_k]:
            species = self.catalog[self.config.classes[index]]
            # Models trained before photos were counted lack ``training_photos``; the backbone's own
            # species were learned from its photos, not ours.
            inat = self.config.own_classes is not None and index >= self.config.own_classes
            predictions.append(
                Prediction(
                    label=species.key,
                    common_name=species.common_name,
                    scientific_name=species.scientific_name,
                    confidence=round(float(probs[index]), 6),
                    wikipedia_url=species.wikipedia_url or "",
                    ebird_code=species.ebird_code or "",
                    rank=species.rank,
                    training_photos=species.training_photos,
                    learned_from=LEARNED_FROM_INAT if species.training_photos is None and inat else "",
                )
            )
        return tuple(predictions)


def _empty(config: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    return np.empty((0, len(config.classes))), np.empty((0, 1000))


def load(
    model_dir: str | Path | None = None,
    *,
    engine: str = "auto",
    precision: str = "float32",
    threads: int | None = None,
    tta: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> Classifier:
    """Load a model directory (default: the shipped model). Slow: do it once per process.

    ``engine``: ``tensorflow``, ``litert`` or ``auto``; ``precision``: the LiteRT conversion; ``threads``:
    LiteRT threads (None: every core); ``tta``: flip test-time augmentation, ``unsure``, ``always`` or
    ``never`` (None: the model's choice); ``batch_size``: most images per forward pass. Bad values raise
    ``ValueError``. The environment is never read here (``classifier.serving.config.Options.from_env`` is
    the command line's reader).
    """
    options = Options(
        engine=engine,
        precision=precision,
        threads=threads,
        tta=tta,
        batch_size=batch_size,
    )
    return Classifier(Path(model_dir) if model_dir else default_model_dir(), options)
