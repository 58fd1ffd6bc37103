"""Training progress off a terminal is INFO log lines (one per epoch, one per tenth of a feature pass),
not a progress bar redrawn into a worker's log as WARNINGs (issue 14)."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from classifier.training import progress


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "on_terminal", lambda: False)


def test_a_feature_pass_off_a_terminal_logs_eleven_info_lines_at_most(no_terminal, caplog, capsys) -> None:
    caplog.set_level(logging.INFO, logger="classifier.training")
    with progress.Bar(1000, "features") as bar:
        for _ in range(250):
            bar.update(4)
    lines = [r for r in caplog.records if r.name == "classifier.training"]
    assert 1 <= len(lines) <= 11 and {r.levelno for r in lines} == {logging.INFO}
    assert lines[-1].getMessage() == "features: 1000/1000"
    assert capsys.readouterr().err == ""  # no bar drawn into the log


def test_on_a_terminal_the_bar_draws_and_nothing_is_logged(monkeypatch, caplog, capsys) -> None:
    monkeypatch.setattr(progress, "on_terminal", lambda: True)
    caplog.set_level(logging.INFO, logger="classifier.training")
    with progress.Bar(10, "features") as bar:
        bar.update(10)
    assert "features" in capsys.readouterr().err and not caplog.records
    assert progress.keras_verbose() == 1 and progress.epoch_logger("head") == []


def test_each_epoch_of_a_fit_is_one_info_line_and_keras_prints_nothing(no_terminal, caplog, capfd) -> None:
    keras = pytest.importorskip("keras")
    caplog.set_level(logging.INFO, logger="classifier.training")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((8, 3), np.float32), np.zeros((8, 2), np.float32)
    model.fit(
        x, y, epochs=3, verbose=progress.keras_verbose(), callbacks=progress.epoch_logger("pooled head")
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "classifier.training"]
    assert [line.split(":")[0] for line in lines] == [f"pooled head epoch {i}/3" for i in (1, 2, 3)]
    assert "loss" in lines[0] and {r.levelno for r in caplog.records if r.name == "classifier.training"} == {
        20
    }
    assert "Epoch 1/3" not in capfd.readouterr().out
