"""The configuration file is checked key by key: missing, unknown and malformed keys fail with their name."""

from __future__ import annotations

import copy

import pytest
import yaml

from customer_warehouse.authenticity.config import DEFAULT_CONFIG_PATH, ConfigError, load_config, parse_config
from customer_warehouse.authenticity.reasons import REASON_KINDS


@pytest.fixture()
def document() -> dict:
    return yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def test_shipped_config_loads(config):
    assert set(config.weights) == set(REASON_KINDS)
    assert config.exclusion_threshold < config.review_threshold
    assert len(config.sha256) == 64


def test_missing_weight_is_named(document):
    del document["weights"]["email_disposable"]
    with pytest.raises(ConfigError, match="weights has no key 'email_disposable'"):
        parse_config(document)


def test_unknown_key_is_named(document):
    document["weights"]["email_disposible"] = 10
    with pytest.raises(ConfigError, match=r"unknown keys \['email_disposible'\]"):
        parse_config(document)


def test_unknown_top_level_key_is_named(document):
    document["persons_extra"] = {}
    with pytest.raises(ConfigError, match="persons_extra"):
        parse_config(document)


def test_weight_out_of_range(document):
    document["weights"]["phone_invalid"] = 150
    with pytest.raises(ConfigError, match="phone_invalid is 150"):
        parse_config(document)


def test_thresholds_in_order(document):
    changed = copy.deepcopy(document)
    changed["score"]["exclusion_threshold"] = 90
    with pytest.raises(ConfigError, match="exclusion threshold must be the lower"):
        parse_config(changed)


def test_null_in_word_list(document):
    document["names"]["test_words"].append(None)
    with pytest.raises(ConfigError, match="test_words must be a list of words"):
        parse_config(document)


def test_levels_end_with_source(document):
    document["cohorts"]["levels"] = [["region"]]
    with pytest.raises(ConfigError, match=r"levels must end with \[\]"):
        parse_config(document)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "absent.yml")


def test_environment_variable_points_elsewhere(tmp_path, monkeypatch, document):
    document["score"]["exclusion_threshold"] = 40
    path = tmp_path / "authenticity.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("CW_AUTHENTICITY_CONFIG", str(path))
    assert load_config().exclusion_threshold == 40
