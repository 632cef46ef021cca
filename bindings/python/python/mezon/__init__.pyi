"""Type stubs of the mezon package (the native module mezon._native)."""

import os
from decimal import Decimal
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

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

class Pack:
    """A compiled rule pack: immutable, may be shared by threads."""

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
        a ``Decimal`` NaN, values nested deeper than 128 levels (or a list that contains itself).
        A ``Decimal`` reaches the engine as its exact text, never through a float.

        Keys: ``service_id``, ``organization_id``, ``period``, ``status``, ``score`` (``Decimal``, or ``int`` when whole),
        ``score_exact`` (fraction text), ``grade``, ``points_total``, ``max_applicable``, ``reason``,
        ``indicators``, ``errors``, ``warnings``, ``aggregation`` and ``grading`` (``provisional``,
        ``clause``), ``pack``.
        """
    def assess_json(self, record: str) -> str:
        """``assess`` on JSON text; the result is the line ``mezon assess --format jsonl`` writes.

        Raises ``InputError`` when the text is not JSON.
        """
    def assess_many(self, records: Iterable[Record]) -> List[Dict[str, Any]]:
        """Assesses every record in order, with the GIL released while the engine works."""
    def rank(self, records: Iterable[Record], organizations: Optional[Iterable[Record]] = None) -> Dict[str, Any]:
        """Ranks organisations from service records and optional organisation records."""
    def rank_json(self, records: str, organizations: Optional[str] = None) -> str:
        """``rank`` on JSON arrays; returns one line of JSON."""
