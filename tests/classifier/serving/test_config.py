"""Serving options: given as keywords to the library, read strictly from BIRDSITE_* by the command line."""

from __future__ import annotations

import pytest

from classifier.serving.config import Options


def test_no_variables_give_the_defaults():
    assert Options.from_env({}) == Options()


def test_empty_variables_keep_the_defaults():
    assert Options.from_env({"BIRDSITE_ENGINE": "", "BIRDSITE_TTA": "  "}) == Options()


def test_every_variable_is_read_into_its_option():
    options = Options.from_env(
        {
            "BIRDSITE_ENGINE": "TensorFlow",
            "BIRDSITE_LITERT_PRECISION": "float16",
            "BIRDSITE_THREADS": "3",
            "BIRDSITE_TTA": "never",
            "BIRDSITE_BATCH_SIZE": "8",
            "BIRDSITE_DATASETS": "/data/birds",  # training's folder: no serving option
        }
    )
    assert options == Options(
        engine="tensorflow",
        precision="float16",
        threads=3,
        tta="never",
        batch_size=8,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BIRDSITE_ENGINE", "onnx"),
        ("BIRDSITE_LITERT_PRECISION", "int3"),
        ("BIRDSITE_THREADS", "two"),
        ("BIRDSITE_THREADS", "0"),
        ("BIRDSITE_TTA", "of"),
        ("BIRDSITE_BATCH_SIZE", "-1"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name, value):
    with pytest.raises(ValueError, match=name):
        Options.from_env({name: value})


@pytest.mark.parametrize(
    "kwargs", [{"engine": "onnx"}, {"precision": "x"}, {"threads": 0}, {"tta": "maybe"}, {"batch_size": 0}]
)
def test_bad_keyword_options_are_refused(kwargs):
    with pytest.raises(ValueError):
        Options(**kwargs)


def test_the_library_never_reads_the_serving_variables():
    import pathlib

    import classifier
    from classifier.serving import config

    names = [config.ENGINE_ENV, config.PRECISION_ENV, config.THREADS_ENV, config.TTA_ENV]
    names.append(config.BATCH_SIZE_ENV)
    root = pathlib.Path(classifier.__file__).parent
    readers = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if path != root / "serving" / "config.py" and any(name in path.read_text() for name in names)
    ]
    assert readers == []


def test_loading_a_model_takes_no_folder_of_training_photos():
    # int8 is built beforehand (python -m classifier build-int8): serving never calibrates on photos.
    import classifier

    with pytest.raises(TypeError, match="datasets"):
        classifier.load(engine="int8", datasets="/data/birds")


@pytest.mark.parametrize("spelling", ["unsure", "always", "never"])
def test_flip_tta_is_spelled_one_way_in_the_environment_and_in_load(spelling) -> None:
    assert Options.from_env({"BIRDSITE_TTA": spelling.upper()}).tta == spelling == Options(tta=spelling).tta
    assert Options.from_env({"BIRDSITE_TTA": "default"}).tta is None


@pytest.mark.parametrize("old", [True, False, "auto", "on"])
def test_an_old_spelling_of_tta_is_refused(old) -> None:
    with pytest.raises(ValueError, match="tta"):
        Options(tta=old)
