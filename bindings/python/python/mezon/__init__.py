"""Mezon: an embeddable rules engine for scoring methodologies.

Load a rule pack once, assess many records::

    import mezon
    pack = mezon.Pack.load("rules/uz-egov-quality/2016.1")
    result = pack.assess({"service_id": "SRV-1", ...})
    result["score"]        # Decimal('78.78'): exact decimals are decimal.Decimal

Results are the dicts of the JSON the ``mezon`` command line writes; the
``*_json`` methods take and return that JSON text unchanged. Errors are
``mezon.Error`` subclasses by kind with ``kind``, ``file``, ``line``,
``column`` and ``field`` attributes. The API is in ``__init__.pyi``.
"""

from mezon._native import (
    VERSION,
    Error,
    InputError,
    IoError,
    InternalError,
    LimitError,
    ManifestError,
    Pack,
    ParseError,
    RuleRuntimeError,
    SecurityError,
    TableError,
)

__version__ = VERSION

__all__ = [
    "Error",
    "InputError",
    "IoError",
    "InternalError",
    "LimitError",
    "ManifestError",
    "Pack",
    "ParseError",
    "RuleRuntimeError",
    "SecurityError",
    "TableError",
    "VERSION",
    "__version__",
]
