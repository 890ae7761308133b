from __future__ import annotations

from pathlib import Path

import pytest

from productops.config import CONFIG_FILE, Config, load_config, write_config
from productops.errors import ConfigError


def test_written_defaults_read_back(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE
    write_config(path, Config())
    assert load_config(path) == Config()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[engine]\nkindd = "duckdb"\n', "engine.kindd: unknown key"),
        ('[engine]\nkind = "oracle"\n', "engine.kind: Input should be 'duckdb' or 'pyspark'"),
        ("[imports.work_item]\ncolumns = 3\n", "imports.work_item.columns"),
        ("[surprise]\n", "surprise: unknown key"),
        ("[engine\n", "not valid TOML"),
    ],
)
def test_bad_config_names_key_and_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_a_spark_connect_token_is_never_written_in_the_url(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE
    path.write_text(
        '[engine]\nspark_master = "sc://h:443/;use_ssl=true;token=s3cret"\n', encoding="utf-8"
    )
    with pytest.raises(
        ConfigError, match="name the variable holding it with spark_token_env"
    ) as info:
        load_config(path)
    assert "s3cret" not in str(info.value)
    path.write_text('[engine]\nspark_token_env = "s3cret-token"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="spark_token_env: takes the NAME") as info:
        load_config(path)
    assert "s3cret" not in str(info.value)


def test_missing_config_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="productops init"):
        load_config(tmp_path / CONFIG_FILE)


SLACK = '[notify.channels.s]\nkind = "slack"\nurl_env = "SLACK_URL"\n'
MAIL = '[notify.channels.m]\nkind = "email"\nhost = "smtp.example.com"\nsender = "p@example.com"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            SLACK + '[[notify.subscriptions]]\nchannel = "x"\nteam = "a"\n',
            "no channel 'x'; channels: s",
        ),
        (
            SLACK + '[[notify.subscriptions]]\nchannel = "s"\n',
            "name exactly one of team, user or org",
        ),
        (
            MAIL + '[[notify.subscriptions]]\nchannel = "m"\norg = true\n',
            "needs `to`, an e-mail address",
        ),
        (
            SLACK + '[[notify.subscriptions]]\nchannel = "s"\norg = true\nto = "a@b.c"\n',
            "takes no `to`",
        ),
        ('[notify.channels.s]\nkind = "slack"\n', "give url_env or url_file"),
        (
            '[notify.channels.s]\nkind = "slack"\nurl_env = "https://hooks.slack.com/x"\n',
            "never the value",
        ),
        (
            '[notify.channels.h]\nkind = "webhook"\nurl = "http://example.com/h"\nsecret_env = "K"\n',
            "must use https://",
        ),
        (
            '[notify.channels.h]\nkind = "webhook"\nurl = "https://example.com/h"\n',
            "give secret_env or secret_file",
        ),
        (MAIL + 'security = "none"\n', "sends the password in clear"),
        (
            SLACK + '[[notify.subscriptions]]\nchannel = "s"\norg = true\nalerts = ["spike"]\n',
            "alerts.0",
        ),
    ],
)
def test_bad_notify_settings_say_what_to_change(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value)
    assert "hooks.slack.com" not in str(info.value)
