"""The cell router's short connect timeouts."""

from __future__ import annotations

import pytest

from tessera.routing import cell_db_url


@pytest.mark.parametrize("url, expected", [
    ("postgresql+psycopg2://u:p@db/cell1",
     "postgresql+psycopg2://u:p@db/cell1?connect_timeout=3"),
    ("mysql+pymysql://u:p@db/cell1?charset=utf8mb4",
     "mysql+pymysql://u:p@db/cell1?charset=utf8mb4&connect_timeout=3"),
    ("postgresql://u@db/cell1?connect_timeout=10",
     "postgresql://u@db/cell1?connect_timeout=10"),
    ("sqlite:////tmp/cell1.sqlite", "sqlite:////tmp/cell1.sqlite"),
])
def test_cell_db_url_adds_a_connect_timeout(url: str, expected: str) -> None:
    assert cell_db_url(url) == expected
