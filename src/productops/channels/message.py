"""A message as every channel sees it: a subject, a one-line summary, a link, parts and charts.

Alerts and digests are made once as a `Message`; `slack`, `email` and `webhook` each render it.
It is stored in the outbox as JSON (`to_json`, `from_json`), charts as base64 PNG.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Image", "Message", "Part"]


@dataclass(frozen=True)
class Image:
    """A chart as a PNG; `cid` names it inside an e-mail, `alt` says what it shows."""

    cid: str
    alt: str
    png: bytes


@dataclass(frozen=True)
class Part:
    """A titled part: lines of text and label/value fields."""

    title: str
    lines: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Message:
    """What to tell: `subject` (one line), `summary` (what happened and how big), `link` (its
    page), `parts` and `images` (charts, shown inline in e-mail).

    >>> Message("alert.theme_spike", "Spike: checkout errors", "12 items this week, 4x usual").kind
    'alert.theme_spike'
    """

    kind: str
    subject: str
    summary: str
    link: str | None = None
    parts: tuple[Part, ...] = ()
    images: tuple[Image, ...] = field(default=())

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "subject": self.subject,
                "summary": self.summary,
                "link": self.link,
                "parts": [
                    {
                        "title": p.title,
                        "lines": list(p.lines),
                        "fields": [list(f) for f in p.fields],
                    }
                    for p in self.parts
                ],
                "images": [
                    {"cid": i.cid, "alt": i.alt, "png": base64.b64encode(i.png).decode()}
                    for i in self.images
                ],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Message:
        data: dict[str, Any] = json.loads(text)
        return cls(
            data["kind"],
            data["subject"],
            data["summary"],
            data.get("link"),
            tuple(
                Part(p["title"], tuple(p["lines"]), tuple((a, b) for a, b in p["fields"]))
                for p in data.get("parts", [])
            ),
            tuple(
                Image(i["cid"], i["alt"], base64.b64decode(i["png"]))
                for i in data.get("images", [])
            ),
        )

    def text(self) -> str:
        """The message as plain text (the e-mail's text part)."""
        out = [self.subject, "", self.summary]
        if self.link:
            out.append(self.link)
        for part in self.parts:
            out += ["", part.title, "-" * len(part.title)]
            out += [f"- {line}" for line in part.lines]
            out += [f"{label}: {value}" for label, value in part.fields]
        return "\n".join(out) + "\n"
