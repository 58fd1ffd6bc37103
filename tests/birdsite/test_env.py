from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from birdsite.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_str,
    load_dotenv,
    parse_dotenv,
)


@pytest.mark.parametrize(
    "raw,expected", [("1", True), ("YES", True), ("on", True), ("0", False), ("off", False)]
)
def test_env_bool_reads_the_usual_spellings(raw: str, expected: bool) -> None:
    assert env_bool("X", not expected, {"X": raw}) is expected


def test_env_bool_refuses_a_value_that_is_not_a_boolean() -> None:
    with pytest.raises(ImproperlyConfigured, match="X='maybe'"):
        env_bool("X", False, {"X": "maybe"})


def test_env_helpers_fall_back_to_the_default_when_unset() -> None:
    assert env_str("X", "d", {}) == "d"
    assert env_int("X", 7, {}) == 7
    assert env_float("X", 0.5, {}) == 0.5
    assert env_list("X", ["a"], {}) == ["a"]


def test_env_int_refuses_garbage_and_values_below_the_minimum() -> None:
    assert env_int("X", 0, {"X": "20_000"}) == 20000
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("X", 0, {"X": "12MB"})
    with pytest.raises(ImproperlyConfigured, match="below the minimum"):
        env_int("X", 5, {"X": "0"}, minimum=1)


def test_env_float_refuses_garbage() -> None:
    with pytest.raises(ImproperlyConfigured):
        env_float("X", 0.1, {"X": "high"})


def test_env_float_refuses_values_outside_its_bounds_and_nonsense_like_nan() -> None:
    assert env_float("X", 1.0, {"X": "30"}, minimum=0.1, maximum=3600) == 30.0
    refusals = {
        "0.05": "below the minimum of 0.1",
        "7200": "above the maximum of 3600",
        "nan": "not a number",
    }
    for raw, problem in refusals.items():
        with pytest.raises(ImproperlyConfigured, match=problem):
            env_float("X", 1.0, {"X": raw}, minimum=0.1, maximum=3600)


def test_env_list_splits_on_commas_and_drops_blanks() -> None:
    assert env_list("H", [], {"H": "a.example, b.example,,"}) == ["a.example", "b.example"]


def test_a_file_variable_is_read_instead_of_the_plain_one(tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    assert env_str("KEY", "", {"KEY": "plain", "KEY_FILE": str(secret)}) == "s3cret"
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_str("KEY", "", {"KEY_FILE": str(tmp_path / "missing")})


def test_dotenv_parsing_handles_comments_quotes_and_export() -> None:
    text = "# comment\n\nexport A=1\nB = \"two words\"\nC=three # trailing\nD='x=y'\n"
    assert parse_dotenv(text) == {"A": "1", "B": "two words", "C": "three", "D": "x=y"}


def test_dotenv_refuses_a_line_without_an_equals_sign() -> None:
    with pytest.raises(ImproperlyConfigured, match="line 2"):
        parse_dotenv("A=1\nnonsense\n")


def test_load_dotenv_never_overrides_the_real_environment(tmp_path) -> None:
    path = tmp_path / ".env"
    path.write_text("PORT=9000\nDEBUG=true\n")
    environ = {"PORT": "8001"}
    load_dotenv(path, environ)
    assert environ == {"PORT": "8001", "DEBUG": "true"}
    assert load_dotenv(tmp_path / "absent", environ) == {}


def test_env_networks_reads_addresses_and_networks_and_refuses_a_bad_one() -> None:
    from ipaddress import ip_network

    assert env_networks("X", {}) == []
    assert env_networks("X", {"X": "10.0.0.1, 192.168.0.0/16,::1"}) == [
        ip_network("10.0.0.1/32"),
        ip_network("192.168.0.0/16"),
        ip_network("::1/128"),
    ]
    with pytest.raises(ImproperlyConfigured, match="X: "):
        env_networks("X", {"X": "10.0.0.300"})
