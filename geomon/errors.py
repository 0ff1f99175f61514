"""Every error geomon raises on purpose; this module imports nothing else from geomon."""

from __future__ import annotations

from typing import Any


class GeomonError(Exception):
    """Base class for every error geomon raises on purpose."""


class LayerSpecError(GeomonError, ValueError):
    """A layer spec (layers/*.toml) is missing a key or has a bad value."""


class UnknownFieldError(GeomonError, KeyError):
    """A layer has no field, or a frame no column, of the name asked for (specs, filters).

    A `KeyError` too, so ``except KeyError`` callers keep working; like every `KeyError` its
    ``str()`` is the message in quotes.
    """


class CRSError(GeomonError, ValueError):
    """A CRS is missing, unknown, or unsuitable for the operation."""


class ReadError(GeomonError, ValueError):
    """A source file cannot be read at all (format, encoding, missing parts).

    `code` is a stable machine code (e.g. ``"unreadable"``, ``"missing_columns"``) so that the
    CLI and app can report it the same way validation issues are reported.
    """

    def __init__(self, message: str, *, code: str = "unreadable", path: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.path = path


class CoordinateParseError(GeomonError, ValueError):
    """A coordinate that cannot be read; ``str()`` is the English reason, ``zh`` the Chinese.

    Readers catch it and report a ``bad_coordinate`` issue on the row (``geomon.io.dms``).
    """

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh


class ExportError(GeomonError, ValueError):
    """A layer cannot be exported as asked: an unknown format, or a Shapefile without geometry."""


class ValidationError(GeomonError, ValueError):
    """Data failed validation; the full report travels with the exception."""

    def __init__(self, message: str, *, report: Any = None) -> None:
        super().__init__(message)
        self.report = report


class WaterQualityError(GeomonError, ValueError):
    """A class label, parameter, water body or monitoring frame cannot be used."""


class MapError(GeomonError, ValueError):
    """A map cannot be built as asked (unknown basemap, missing key, unservable asset)."""


class TracingError(GeomonError, ValueError):
    """A section cannot be traced: unknown code, or not on the river network."""


class SitingError(GeomonError, ValueError):
    """A siting check asked for with arguments it cannot use: unknown or geometry-less constraint
    layers, a negative buffer, or projects whose labels repeat."""


class ReportError(GeomonError, ValueError):
    """A report asked for with arguments it cannot use (e.g. a period ending before it starts, or
    an output file that is neither .html nor .xlsx)."""


class VersionError(GeomonError, ValueError):
    """A data version or moment a user named is not in the store, or cannot be read."""


class StoreError(GeomonError, RuntimeError):
    """The store cannot be opened or a write failed (nothing was written)."""


class StoreNotFoundError(StoreError):
    """A command that reads a store was given one that does not exist (nothing was created)."""


class ConflictError(StoreError):
    """An edit was based on a row version that someone else has changed since (nothing saved).

    `conflicts` lists one record per edited field of every stale row: the field, the value the
    editor wanted, the value now stored and who changed the row (see `geomon.store.editing`).
    """

    def __init__(self, message: str, *, conflicts: Any = ()) -> None:
        super().__init__(message)
        self.conflicts = tuple(conflicts)


class AccessDeniedError(GeomonError, PermissionError):
    """The user may not do this: not logged in, role too low, or a row outside their areas.

    Nothing was read or written. `code` is a stable machine code (``"login_required"``,
    ``"role"``, ``"outside_area"``, ``"wrong_user"``); `rows` lists the refused rows (their keys or
    1-based row numbers), so the app can show them.
    """

    def __init__(self, message: str, *, code: str = "access_denied", rows: Any = ()) -> None:
        super().__init__(message)
        self.code = code
        self.rows = tuple(rows)


class LoginError(AccessDeniedError):
    """A login failed: unknown user or wrong password (``"bad_credentials"``), too many failures
    (``"locked"``, retry after `retry_after` seconds), or no users configured (``"no_users"``)."""

    def __init__(
        self, message: str, *, code: str = "bad_credentials", retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class AuthConfigError(GeomonError, ValueError):
    """The users file, or a user being added, is invalid: name, role, area code, password."""


class TokenError(AccessDeniedError):
    """A data-route token is missing, malformed, tampered with, expired or not for this request.

    `reason` is one of ``"missing"``, ``"malformed"``, ``"signature"``, ``"expired"``,
    ``"scope"``.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message, code=f"token_{reason}")
        self.reason = reason


class AlertError(GeomonError, ValueError):
    """Alert rules (geomon/rules/alerts.toml) or an acknowledgement cannot be used: a bad rule
    value, an unknown alert, an empty note, an alert acknowledged already."""


class DigestError(GeomonError, RuntimeError):
    """The alert digest cannot be sent: no mail server or recipients set, or the server refused."""


class ReadingsError(GeomonError, ValueError):
    """Station readings asked for with arguments they cannot use: an unknown parameter name or
    section, a bad step, or a readings frame without the readings columns."""


# ---- supervision loop (问题清单, 红黄牌, 巡查; geomon.supervision)
class WorkflowError(GeomonError, ValueError):
    """A problem step the workflow forbids (wrong status, no note, no evidence, same user closing
    what they reported done) or a problem that cannot be made (unknown feature); nothing written."""


class EvidenceError(GeomonError, ValueError):
    """An evidence file refused: too large, too many, or not a JPEG/PNG/PDF by its magic bytes."""


# ---- command line (geomon.cli)
class UsageError(GeomonError, ValueError):
    """A command-line value the command cannot use (a period the wrong way round, an unknown
    status): bad usage, exit 2, found after the arguments were parsed."""
