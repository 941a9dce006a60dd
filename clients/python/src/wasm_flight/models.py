"""What the server's actions return: module and function descriptions (flight-protocol.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

__all__ = ["Function", "Module"]


@dataclass(frozen=True)
class Function:
    """One exported function of a module.

    Attributes:
        name: the function's name (the second element of its descriptor path).
        kind: ``"map"``, ``"filter"``, ``"table"`` or ``"aggregate"`` (abi-v1.md section 6).
        takes_options: whether it accepts ``options`` (it has an ``init`` export).
        output: the declared output schema as a list of ``{"name", "format", "nullable"}``
            (C Data format strings), or ``None`` when the output depends on the input.
        raw: the server's JSON object as received, including fields this client does not
            know (e.g. ``row_index`` of a table function).
    """

    name: str
    kind: str
    takes_options: bool
    output: Optional[List[Dict[str, Any]]]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Function":
        return cls(name=obj["name"], kind=obj.get("kind", "map"),
                   takes_options=bool(obj.get("takes_options", False)),
                   output=obj.get("output"), raw=dict(obj))


@dataclass(frozen=True)
class Module:
    """A registered module, as ``register``, ``list`` and ``describe`` report it.

    Attributes:
        name: the module's name.
        sha256: hex SHA-256 of the module's bytes.
        size_bytes: the module's size.
        abi_version: the guest ABI version it declares (``"1.0"``, ...).
        registered_at: when it was registered (ISO 8601, UTC).
        compile_ms: how long the server took to compile it.
        functions: its functions, in the server's order.
        replaced: for ``register`` only: ``True`` when it replaced a module of the same name
            with other bytes, ``False`` when nothing changed; ``None`` from ``list``/``describe``.
        raw: the server's JSON object as received.
    """

    name: str
    sha256: str
    size_bytes: int
    abi_version: str
    registered_at: str
    compile_ms: Optional[int]
    functions: Tuple[Function, ...]
    replaced: Optional[bool] = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> "Module":
        return cls(name=obj["name"], sha256=obj.get("sha256", ""),
                   size_bytes=int(obj.get("size_bytes", 0)),
                   abi_version=str(obj.get("abi_version", "")),
                   registered_at=str(obj.get("registered_at", "")),
                   compile_ms=obj.get("compile_ms"),
                   functions=tuple(Function.from_json(f) for f in obj.get("functions", ())),
                   replaced=obj.get("replaced"), raw=dict(obj))

    def function(self, name: str) -> Function:
        """The function called ``name``; ``KeyError`` listing the names when there is none."""
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(f"module {self.name!r} has no function {name!r}; it has "
                       f"{', '.join(f.name for f in self.functions) or 'none'}")
