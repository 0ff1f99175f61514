"""Settings from the environment: the map's basemap key and the app's public address."""

from __future__ import annotations

from geomon import config


def test_basemap_key_and_public_url_from_env() -> None:
    settings = config.from_env(
        {"GEOMON_TIANDITU_KEY": "abc123", "GEOMON_PUBLIC_URL": "https://gis.example.cn/geomon"}
    )
    assert settings.tianditu_key == "abc123"
    assert settings.public_url == "https://gis.example.cn/geomon"


def test_blank_basemap_key_and_public_url_are_unset() -> None:
    settings = config.from_env({"GEOMON_TIANDITU_KEY": "", "GEOMON_PUBLIC_URL": ""})
    assert (settings.tianditu_key, settings.public_url) == (None, None)
    assert (config.from_env({}).tianditu_key, config.from_env({}).public_url) == (None, None)
