"""Parser for the Graph API `fields` parameter (field expansion with edge modifiers).

Accepted: `id,message,from{id,name},comments.filter(stream).order(reverse_chronological)
.limit(50).summary(true){id,message},feed.as(posts)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.errors import GraphError

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass
class FieldSpec:
    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    children: list[FieldSpec] | None = None

    @property
    def key(self) -> str:
        """The key the value is returned under (`.as(alias)` renames it)."""
        return self.modifiers.get("as", self.name)


def fields_text(specs: list[FieldSpec]) -> str:
    """Serialise specs back to the `fields` syntax (used in nested `paging.next` URLs)."""
    parts = []
    for spec in specs:
        text = spec.name + "".join(f".{k}({v})" for k, v in spec.modifiers.items())
        if spec.children is not None:
            text += "{" + fields_text(spec.children) + "}"
        parts.append(text)
    return ",".join(parts)


def parse_fields(text: str) -> list[FieldSpec]:
    parser = _Parser(text)
    specs = parser.parse_list()
    if parser.pos != len(text):
        parser.fail("end of string")
    return specs


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, expected: str) -> None:
        found = self.text[self.pos] if self.pos < len(self.text) else "end of string"
        raise GraphError(
            f'Syntax error "Expected {expected} instead of "{found}"." at character '
            f"{self.pos}: {self.text}",
            2500,
        )

    def peek(self) -> str:
        self.skip_spaces()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def parse_list(self) -> list[FieldSpec]:
        specs: list[FieldSpec] = []
        while True:
            if self.peek() not in (",", "}", ""):
                specs.append(self.parse_item())
            if self.peek() != ",":
                return specs
            self.pos += 1

    def parse_name(self) -> str:
        self.skip_spaces()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _NAME_CHARS:
            self.pos += 1
        if start == self.pos:
            self.fail("a field name")
        return self.text[start : self.pos]

    def parse_item(self) -> FieldSpec:
        spec = FieldSpec(self.parse_name())
        while self.peek() == ".":
            self.pos += 1
            modifier = self.parse_name()
            if self.peek() != "(":
                self.fail('"("')
            end = self.text.find(")", self.pos)
            if end < 0:
                self.pos = len(self.text)
                self.fail('")"')
            spec.modifiers[modifier] = self.text[self.pos + 1 : end].strip()
            self.pos = end + 1
        if self.peek() == "{":
            self.pos += 1
            spec.children = self.parse_list()
            if self.peek() != "}":
                self.fail('"}"')
            self.pos += 1
        return spec
