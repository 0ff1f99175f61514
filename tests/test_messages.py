"""geomon.messages: the one `ReadError` every reader raises for a file its parser failed on."""

from __future__ import annotations

from geomon.errors import ReadError
from geomon.messages import cannot_read


def test_cannot_read_names_the_file_and_the_reason() -> None:
    err = cannot_read("台账.csv", LookupError("unknown encoding: gbk2"), code="bad_encoding")

    assert isinstance(err, ReadError)
    assert str(err) == "无法读取 台账.csv / cannot read 台账.csv: unknown encoding: gbk2"
    assert (err.code, err.path) == ("bad_encoding", "台账.csv")


def test_cannot_read_shows_the_users_file_not_the_temporary_copy() -> None:
    tmp = "/tmp/geomon-read-x1"
    exc = OSError(f"'{tmp}/layer.shp' not recognized as a supported file format")

    err = cannot_read("排污口.zip", exc, tmp=tmp)

    assert str(err) == (
        "无法读取 排污口.zip / cannot read 排污口.zip: "
        "'排污口.zip' not recognized as a supported file format"
    )
    assert err.code == "unreadable"


def test_cannot_read_without_a_reason_gives_the_exception_type() -> None:
    assert str(cannot_read("a.xlsx", ValueError())).endswith("cannot read a.xlsx: ValueError")
