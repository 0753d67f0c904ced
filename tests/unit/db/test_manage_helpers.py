"""The pure helpers behind tessera-manage: cell0 URLs, password masking, tables and
where the database URLs come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.cmd.manage import (DEFAULT_API_CONNECTION, DEFAULT_CONNECTION,
                                build_parser, format_table, load_settings)
from tessera.db.cells import absolute_url, cell0_url, mask_password

CELL0_URLS = [
    ("mysql+pymysql://root:pw@db/tessera", "mysql+pymysql://root:pw@db/tessera_cell0"),
    ("postgresql://u@h:5432/cell1?sslmode=require",
     "postgresql://u@h:5432/cell1_cell0?sslmode=require"),
    ("sqlite:////var/lib/tessera/cell1.sqlite",
     "sqlite:////var/lib/tessera/cell1_cell0.sqlite"),
    ("sqlite:///data/cell1", "sqlite:///data/cell1_cell0"),
]


@pytest.mark.parametrize(("url", "expected"), CELL0_URLS)
def test_cell0_url_appends_to_the_database_name(url: str, expected: str) -> None:
    assert cell0_url(url) == expected


def test_no_cell0_beside_an_in_memory_database() -> None:
    with pytest.raises(ValueError):
        cell0_url("sqlite://")


MASKED = [
    ("rabbit://user:secret@mq:5672/", "rabbit://user:****@mq:5672/"),
    ("rabbit://a:p1@h1:5672,b:p2@h2:5672/vhost", "rabbit://a:****@h1:5672,b:****@h2:5672/vhost"),
    ("mysql+pymysql://root@db/tessera", "mysql+pymysql://root@db/tessera"),
    ("none:///", "none:///"),
    ("postgresql://u@h:5432/x", "postgresql://u@h:5432/x"),
]


@pytest.mark.parametrize(("url", "expected"), MASKED)
def test_mask_password(url: str, expected: str) -> None:
    assert mask_password(url) == expected


def test_absolute_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert absolute_url("sqlite:///./data/a.sqlite") == "sqlite:///%s/data/a.sqlite" % (
        tmp_path.resolve())
    for url in ("sqlite:////abs/a.sqlite", "sqlite://", "postgresql://u@h/db"):
        assert absolute_url(url) == url


def test_format_table() -> None:
    assert format_table(["A", "Long"], [("x", 1), ("yyy", True)]).splitlines() == [
        "+-----+------+", "| A   | Long |", "+-----+------+", "| x   | 1    |",
        "| yyy | True |", "+-----+------+"]


def test_url_sources_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_CONNECTION", "API_DATABASE_CONNECTION", "TRANSPORT_URL"):
        monkeypatch.delenv("TESSERA_" + name, raising=False)
    parse = build_parser().parse_args
    defaults = load_settings(parse(["db", "version"]))
    assert (defaults.database, defaults.api_database, defaults.transport_url) == (
        DEFAULT_CONNECTION, DEFAULT_API_CONNECTION, None)
    monkeypatch.setenv("TESSERA_DATABASE_CONNECTION", "sqlite:///env.sqlite")
    monkeypatch.setenv("TESSERA_TRANSPORT_URL", "rabbit://env/")
    from_env = load_settings(parse(["db", "version"]))
    assert (from_env.database, from_env.transport_url) == ("sqlite:///env.sqlite",
                                                           "rabbit://env/")
    explicit = load_settings(parse(["--database-connection", "sqlite:///cli.sqlite",
                                    "cell_v2", "create_cell", "--transport-url",
                                    "rabbit://cli/"]))
    assert (explicit.database, explicit.transport_url) == ("sqlite:///cli.sqlite",
                                                           "rabbit://cli/")
