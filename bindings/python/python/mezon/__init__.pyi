"""Type stubs of the mezon package (the native module mezon._native)."""

import os
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union, final

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

VERSION: str
__version__: str

#: A JSON value as results carry it: exact decimals are ``Decimal``, never ``float``;
#: whole numbers are ``int`` (so a score of 90 is ``90``; ``Decimal(x)`` takes either).
JsonValue = Union[None, bool, int, Decimal, str, List[Any], Dict[str, Any]]
#: A record: field name -> value (``int``, ``float``, ``Decimal``, ``bool``, ``str`` or ``None``).
Record = Mapping[str, Any]

class Error(Exception):
    """An engine error. ``str(e)`` is the rendered frame (``--> file:line:col``, the source line, a caret)."""

    kind: str
    """``manifest``, ``table``, ``parse``, ``runtime``, ``limit``, ``security``, ``input``, ``io`` or ``internal``."""
    message: str
    """The message without position."""
    file: Optional[str]
    """The pack file (relative to the pack folder), e.g. ``tables/timeliness.table``."""
    line: Optional[int]
    """1-based line."""
    column: Optional[int]
    """1-based column."""
    record: Optional[str]
    """The input record, for input errors: its id, or its place in a batch (``item 3``, ``organization 2``)."""
    field: Optional[str]
    """The input field, for input errors."""
    pack: Optional[str]
    """``id version`` of the pack."""
    indicator: Optional[str]
    """The indicator whose rule failed."""

class ManifestError(Error): ...
class TableError(Error): ...
class ParseError(Error): ...
class RuleRuntimeError(Error): ...
class LimitError(Error): ...
class SecurityError(Error): ...
class InputError(Error): ...
class IoError(Error): ...
class InternalError(Error): ...

@final
class Pack:
    """A compiled rule pack: immutable, may be shared by threads.

    Rules run on the calling thread, which needs at least 256 KiB of stack: a hostile rule
    that recurses to the engine's call limit crashes the process (SIGSEGV) on musl's default
    of 128 KiB. The main thread and glibc's default (8 MiB) are fine; else raise it with
    ``threading.stack_size`` before starting the thread.
    """

    @staticmethod
    def load(path: Union[str, "os.PathLike[str]"]) -> "Pack":
        """Loads a version folder, a pack folder holding one version, or a bundle ``.json`` file."""
    @staticmethod
    def from_bundle(bundle: str) -> "Pack":
        """Loads a pack from the text of a bundle (``mezon bundle``); the digest is verified."""
    @property
    def id(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def digest(self) -> str:
        """sha256 over the pack's files: which rules produced a result."""
    def info(self) -> Dict[str, Any]:
        """Ids, titles, indicators, input schema, aggregation, grades."""
    def assess(self, record: Record) -> Dict[str, Any]:
        """Assesses one record. A bad record is not an exception: status ``invalid`` and ``errors``.

        Raises ``InputError`` (with ``field``) only for a value JSON cannot carry: NaN, infinity,
        a ``Decimal`` NaN, an ``int`` past the double range, text with a lone surrogate, containers
        nested deeper than ``assess_json`` takes (127 levels, the record included; or a list that
        contains itself), or a record of more than 2,000,000 values (a list reused within itself).
        A ``Decimal`` reaches the engine as its exact text, never through a float (or, when a double
        holds it exactly, as that number).

        Keys: ``service_id``, ``organization_id``, ``period``, ``status``, ``score`` (``Decimal``, or ``int`` when whole),
        ``score_exact`` (fraction text), ``grade``, ``points_total``, ``max_applicable``, ``reason``,
        ``indicators``, ``errors``, ``warnings``, ``aggregation`` and ``grading`` (``provisional``,
        ``clause``), ``pack``.
        """
    def assess_json(self, record: str) -> str:
        """``assess`` on JSON text; the result is the line ``mezon assess --format jsonl`` writes.

        Raises ``InputError`` when the text is not JSON (or holds a lone surrogate).
        """
    def assess_many(self, records: Iterable[Record]) -> List[Dict[str, Any]]:
        """Assesses every record in order, with the GIL released while the engine works.

        Raises as ``assess``; an ``InputError`` names the record by place: ``record`` is ``item 3`` (1-based).
        """
    def rank(self, records: Iterable[Record], organizations: Optional[Iterable[Record]] = None) -> Dict[str, Any]:
        """Ranks organisations from service records and optional organisation records.

        Raises as ``assess`` for a value JSON cannot carry, naming the record by place (``record`` is
        ``item 3`` or ``organization 2``, 1-based); nesting counts one level more, as in ``rank_json``.
        """
    def rank_json(self, records: str, organizations: Optional[str] = None) -> str:
        """``rank`` on JSON arrays; returns one line of JSON."""
