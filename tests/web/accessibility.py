"""A page's accessibility faults read from its HTML (WCAG 2.2 checks that need no browser):
the document's language, one `h1`, every control with an accessible name (a `label` around
it or naming its `id`, `aria-label`, `aria-labelledby`, `title`; a button's text), every
image and chart (`img`, `svg` or `role="img"`) with a text alternative, every link with
text, no positive `tabindex`. The browser checks (axe-core, phone width, Tab order) are in
test_accessibility.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["faults"]

CONTROLS = {"input", "select", "textarea", "button"}
UNNAMED_INPUTS = {"hidden"}  # not shown, so not named


@dataclass
class _Open:
    """An element whose name is its text (a link, a button, a label) while it is open."""

    tag: str
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)
    controls: list[dict[str, str]] = field(default_factory=list)  # inside a label


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.h1 = 0
        self.ids: set[str] = set()
        self.label_for: set[str] = set()
        self.labelled: set[int] = set()  # id() of controls inside a label
        self.controls: list[dict[str, str]] = []
        self.faults: list[str] = []
        self.open: list[_Open] = []
        self.svg_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = {k: v or "" for k, v in attrs}
        if "id" in given:
            self.ids.add(given["id"])
        if tag == "html":
            self.lang = given.get("lang", "")
        if tag == "h1":
            self.h1 += 1
        tabindex = given.get("tabindex", "").strip()
        if tabindex.isdigit() and int(tabindex) > 0:
            self.faults.append(f"<{tag}> has a positive tabindex {tabindex}")
        if _named(given):
            for o in self.open:
                o.text.append("named")  # an element with a name of its own names its container
        if tag == "img":
            if "alt" not in given:
                self.faults.append(f"<img src={given.get('src', '')!r}> has no alt")
            elif given["alt"].strip():
                for o in self.open:
                    o.text.append(given["alt"])
        if given.get("role") == "img" and tag != "svg" and not _named(given):
            self.faults.append(f"<{tag} role=img> has no aria-label")
        if tag == "svg":
            if self.svg_depth == 0 and not (_named(given) or given.get("aria-hidden") == "true"):
                self.faults.append("<svg> has no aria-label (nor aria-hidden)")
            self.svg_depth += 1
        if tag in CONTROLS and given.get("type", "") not in UNNAMED_INPUTS:
            self.controls.append(given)
            for o in self.open:
                if o.tag == "label":
                    o.controls.append(given)
                    self.labelled.add(id(given))
            if given.get("type") in ("submit", "button", "reset") and given.get("value"):
                given["text"] = given["value"]
        if tag in ("a", "button", "label", "summary"):
            self.open.append(_Open(tag, given))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg_depth = max(self.svg_depth - 1, 0)
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i].tag == tag:
                self._close(self.open.pop(i))
                break

    def handle_data(self, data: str) -> None:
        if data.strip():
            for o in self.open:
                o.text.append(data)

    def _close(self, element: _Open) -> None:
        text = " ".join(" ".join(element.text).split())
        if element.tag == "a" and "href" in element.attrs and not (text or _named(element.attrs)):
            self.faults.append(f"<a href={element.attrs['href']!r}> has no text")
        if element.tag == "button":
            element.attrs["text"] = text
        if element.tag == "label" and "for" in element.attrs:
            self.label_for.add(element.attrs["for"])

    def close_all(self) -> list[str]:
        self.close()
        found = list(self.faults)
        if not self.lang:
            found.append("<html> has no lang")
        if self.h1 != 1:
            found.append(f"{self.h1} h1 elements, not one")
        for c in self.controls:
            named = (
                _named(c)
                or id(c) in self.labelled
                or c.get("id", "\0") in self.label_for
                or bool(c.get("text", "").strip())
            )
            if not named:
                what = " ".join(f"{k}={v!r}" for k, v in c.items() if k in ("name", "type", "id"))
                found.append(f"a control ({what or 'no name attribute'}) has no accessible name")
        for c in self.controls:
            ref = c.get("aria-labelledby", "")
            if ref and not all(r in self.ids for r in ref.split()):
                found.append(f"aria-labelledby={ref!r} names no element")
        return found


def _named(attrs: dict[str, str]) -> bool:
    return any(attrs.get(k, "").strip() for k in ("aria-label", "aria-labelledby", "title"))


def faults(html: str) -> list[str]:
    """What in the page `html` fails the checks (empty: none).

    >>> faults('<html lang="en"><h1>A</h1><label>Name <input name="n"></label></html>')
    []
    >>> len(faults('<html><h1>A</h1><input name="n"><a href="/x"></a></html>'))  # lang, a, input
    3
    """
    reader = _Reader()
    reader.feed(html)
    return reader.close_all()
