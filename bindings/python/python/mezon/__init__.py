"""Mezon: an embeddable rules engine for scoring methodologies.

Load a rule pack once, assess many records::

    import mezon
    pack = mezon.Pack.load("rules/uz-egov-quality/2016.1")
    result = pack.assess({"service_id": "SRV-1", ...})
    result["score"]        # Decimal('78.78'): exact decimals are decimal.Decimal

Results are the dicts of the JSON the ``mezon`` command line writes; the
``*_json`` methods take and return that JSON text unchanged. Errors are
``mezon.Error`` subclasses by kind with ``kind``, ``file``, ``line``,
``column``, ``record`` and ``field`` attributes. The API is in ``__init__.pyi``.

Stack: rules run on the calling thread, inside the engine's limit of nested
rule calls. Call from a thread with at least 256 KiB of stack: the main
thread and threads with glibc's default (8 MiB) are fine, but a hostile rule
that recurses to the limit crashes the process (SIGSEGV) on a 128 KiB stack,
musl's default (Alpine). Raise it with ``threading.stack_size(1 << 20)``
before starting the thread.
"""

from decimal import Decimal
from typing import Any, Dict, List, Mapping, Union

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

#: A JSON value as results carry it: exact decimals are ``Decimal``, never ``float``;
#: whole numbers are ``int`` (so a score of 90 is ``90``; ``Decimal(x)`` takes either).
JsonValue = Union[None, bool, int, Decimal, str, List[Any], Dict[str, Any]]
#: A record: field name -> value (``int``, ``float``, ``Decimal``, ``bool``, ``str`` or ``None``).
Record = Mapping[str, Any]

__all__ = [
    "Error",
    "InputError",
    "IoError",
    "InternalError",
    "JsonValue",
    "LimitError",
    "ManifestError",
    "Pack",
    "ParseError",
    "Record",
    "RuleRuntimeError",
    "SecurityError",
    "TableError",
    "VERSION",
    "__version__",
]
