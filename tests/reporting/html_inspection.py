"""Read a rendered report back: its start tags, its text and its slice cards."""

from __future__ import annotations

from html.parser import HTMLParser


class _Elements(HTMLParser):
    """Collect every start tag with its attributes, and the text of the document."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Elements:
    """Parse an HTML document into its start tags and text."""
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser


def cards_in(html: str) -> list[tuple[str | None, str | None, str | None]]:
    """(scenario, variant, slice) of every slice card element, in document order."""
    return [
        (attrs.get("data-scenario"), attrs.get("data-variant"), attrs.get("data-slice"))
        for _, attrs in parse(html).elements
        if "slice-card" in (attrs.get("class") or "").split()
    ]
