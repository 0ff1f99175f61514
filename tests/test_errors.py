"""The error tree: every exception the library defines is a `GeomonError` in geomon.errors."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import geomon
from geomon import errors
from geomon.io import dms, tabular
from geomon.reports import period, versions


def _library_modules() -> list[str]:
    """Every module of geomon except the app (its pages run Streamlit when imported) and
    ``__main__`` modules (they run a command when imported)."""
    names = [
        m.name
        for m in pkgutil.walk_packages(geomon.__path__, "geomon.")
        if not m.name.startswith("geomon.app") and not m.name.endswith(".__main__")
    ]
    return ["geomon", *names]


def test_every_exception_class_is_defined_in_errors_and_is_a_geomon_error() -> None:
    defined: dict[str, str] = {}
    for name in _library_modules():
        for cls_name, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__.startswith("geomon"):
                defined[cls_name] = cls.__module__
    assert set(defined.values()) == {"geomon.errors"}, defined
    assert {"CoordinateParseError", "ReportError", "SitingError", "VersionError"} <= set(defined)
    for cls_name in defined:
        assert issubclass(getattr(errors, cls_name), errors.GeomonError), cls_name


def test_moved_errors_are_the_same_classes_where_they_were() -> None:
    assert period.ReportError is errors.ReportError
    assert versions.VersionError is errors.VersionError
    assert dms.CoordinateParseError is tabular.CoordinateParseError is errors.CoordinateParseError
