"""A training recipe: the options of one run, and the 2020 baseline's."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass
class TrainOptions:
    head: str = "block13"
    seed: int = 20201
    valid_fraction: float = 0.15
    test_fraction: float = 0.15
    train_views: tuple[str, ...] = ("orig", "flip", "zoom")
    finetune_views: tuple[str, ...] | None = None  # views of the block13 stage (None: train_views)
    tta: bool = True  # average the logits of the photo and its mirror image
    epochs: int = 200
    batch_size: int = 64
    head_batch_size: int = 64  # the first (pooled-feature) stage: bigger batches cut per-step overhead
    learning_rate: float = 1e-3
    finetune_learning_rate: float = 1e-4  # block 13 starts from ImageNet weights: move them gently
    finetune_epochs: int = 15
    label_smoothing: float = 0.1
    balanced: bool = True
    calibrate: bool = True  # temperature scaling on the validation split
    refit: bool = True  # after early stopping, train again on train+valid for the same schedule
    bird_recall: float = 0.99  # fraction of validation birds the gate must let through
    extra: dict = field(default_factory=dict)


def seed_recipe(options: TrainOptions) -> TrainOptions:
    """The 2020 baseline as it was: no augmentation, balancing, smoothing, refit, calibration or flip."""
    return replace(
        options,
        head="seed",
        train_views=("orig",),
        tta=False,
        balanced=False,
        label_smoothing=0.0,
        refit=False,
        calibrate=False,
    )
