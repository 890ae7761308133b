"""Slack incoming webhooks: a `Message` as Block Kit JSON within Slack's documented limits.

Limits (api.slack.com/reference/block-kit/blocks): at most 50 blocks per message; a section's
text at most 3000 characters; a header's plain text at most 150; a section at most 10 fields of
at most 2000 characters each; a context block at most 10 elements. Slack also refuses messages
whose blocks hold much more than about 12,000 characters in all although each block is within
its limit (`msg_blocks_too_long`, slackapi/bolt-js#2509), so all text together is kept within
`MAX_TOTAL_TEXT`. What does not fit is cut with an ellipsis, and blocks beyond the limits are
replaced by one section saying how many were left out, with the link to the whole page.
"""

from __future__ import annotations

from typing import Any

from productops.channels.message import Message

__all__ = [
    "FIELD_TEXT",
    "HEADER_TEXT",
    "MAX_BLOCKS",
    "MAX_FIELDS",
    "MAX_TOTAL_TEXT",
    "SECTION_TEXT",
    "block_kit",
    "limit_problems",
]

MAX_BLOCKS = 50
SECTION_TEXT = 3000
HEADER_TEXT = 150
MAX_FIELDS = 10
FIELD_TEXT = 2000
CONTEXT_ELEMENTS = 10
MAX_TOTAL_TEXT = 12_000
_ELLIPSIS = "…"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def _escape(text: str) -> str:
    """Text as Slack's mrkdwn shows it literally (its three control characters escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _sections(title: str, lines: tuple[str, ...]) -> list[dict[str, Any]]:
    """A part's lines as sections of at most SECTION_TEXT characters, split between lines."""
    chunks: list[str] = []
    current = f"*{_cut(_escape(title), 200)}*"
    for line in lines:
        item = _cut("• " + _escape(line), SECTION_TEXT)
        if len(current) + 1 + len(item) > SECTION_TEXT:
            chunks.append(current)
            current = item
        else:
            current += "\n" + item
    chunks.append(current)
    return [{"type": "section", "text": _mrkdwn(c)} for c in chunks]


def _field_sections(fields: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    items = [_mrkdwn(_cut(f"*{_escape(k)}*\n{_escape(v)}", FIELD_TEXT)) for k, v in fields]
    return [
        {"type": "section", "fields": items[i : i + MAX_FIELDS]}
        for i in range(0, len(items), MAX_FIELDS)
    ]


def _text_size(block: dict[str, Any]) -> int:
    texts = [block.get("text") or {}, *block.get("fields", []), *block.get("elements", [])]
    return sum(len(t.get("text", "")) for t in texts)


def block_kit(message: Message, key: str) -> dict[str, Any]:
    """The JSON to POST to an incoming webhook: `text` (the notification's fallback) and `blocks`,
    the last a context block carrying the idempotency `key` as `ref`.

    >>> body = block_kit(Message("test", "Hello", "It works"), "test:1")
    >>> [b["type"] for b in body["blocks"]]
    ['header', 'section', 'context']
    """
    summary = _escape(message.summary)
    if message.link:
        summary += f"\n<{message.link}|Open in productops>"
    head: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(message.subject, HEADER_TEXT)},
        },
        {"type": "section", "text": _mrkdwn(_cut(summary, SECTION_TEXT))},
    ]
    body: list[dict[str, Any]] = []
    for part in message.parts:
        body += _sections(part.title, part.lines) + _field_sections(part.fields)
    tail = {"type": "context", "elements": [_mrkdwn(f"productops · ref `{_cut(key, 500)}`")]}
    room_blocks = MAX_BLOCKS - len(head) - 2  # the tail, and a note of what was left out
    room_text = MAX_TOTAL_TEXT - sum(map(_text_size, head)) - _text_size(tail) - 200
    kept: list[dict[str, Any]] = []
    for block in body:
        size = _text_size(block)
        if len(kept) == room_blocks or size > room_text:
            break
        kept.append(block)
        room_text -= size
    left = len(body) - len(kept)
    if left:
        where = f" <{message.link}|See them in productops>." if message.link else ""
        note = f"_{left} more block{'s' * (left != 1)} left out to fit Slack's limits._{where}"
        kept.append({"type": "section", "text": _mrkdwn(note)})
    return {"text": _cut(message.subject, SECTION_TEXT), "blocks": [*head, *kept, tail]}


def limit_problems(payload: dict[str, Any]) -> list[str]:
    """Where `payload` breaks Slack's documented limits (none: it fits)."""
    blocks = payload.get("blocks", [])
    problems = [f"{len(blocks)} blocks (at most {MAX_BLOCKS})"] if len(blocks) > MAX_BLOCKS else []
    for i, b in enumerate(blocks):
        text = (b.get("text") or {}).get("text", "")
        if b["type"] == "header" and len(text) > HEADER_TEXT:
            problems.append(f"block {i}: header text {len(text)} (at most {HEADER_TEXT})")
        if b["type"] == "section":
            if len(text) > SECTION_TEXT:
                problems.append(f"block {i}: section text {len(text)} (at most {SECTION_TEXT})")
            fields = b.get("fields", [])
            if len(fields) > MAX_FIELDS:
                problems.append(f"block {i}: {len(fields)} fields (at most {MAX_FIELDS})")
            problems += [
                f"block {i}: field of {len(f['text'])} (at most {FIELD_TEXT})"
                for f in fields
                if len(f["text"]) > FIELD_TEXT
            ]
            if not text and not fields:
                problems.append(f"block {i}: a section needs text or fields")
        if b["type"] == "context" and len(b["elements"]) > CONTEXT_ELEMENTS:
            problems.append(f"block {i}: {len(b['elements'])} context elements")
    total = sum(map(_text_size, blocks))
    if total > MAX_TOTAL_TEXT:
        problems.append(f"{total} characters of text in all (at most {MAX_TOTAL_TEXT})")
    return problems
