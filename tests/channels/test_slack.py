"""Slack Block Kit: what a real receiver gets stays within Slack's documented limits, however
large the message; nothing is cut without saying so."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from productops.channels import Message, Part, send
from productops.channels.slack import (
    FIELD_TEXT,
    HEADER_TEXT,
    MAX_BLOCKS,
    MAX_TOTAL_TEXT,
    SECTION_TEXT,
    block_kit,
    limit_problems,
)
from productops.config import SlackChannel
from tests.channels.receivers import http_receiver

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _huge() -> Message:
    """A digest far beyond every limit: a 400-character subject, 120 parts of 40 long lines
    and 25 long fields each."""
    parts = tuple(
        Part(
            f"Team {i}",
            tuple(f"criterion {j}: " + "x" * 400 for j in range(40)),
            tuple((f"field {j}", "y" * 2500) for j in range(25)),
        )
        for i in range(120)
    )
    return Message("digest.org", "S" * 400, "z" * 5000, "https://po.example.com/org", parts)


def test_a_huge_digest_arrives_cut_within_every_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with http_receiver() as receiver:
        monkeypatch.setenv("SLACK_URL", receiver.url)
        channel = SlackChannel(kind="slack", url_env="SLACK_URL")
        send(
            "team", channel, _huge(), "digest.org:2026-W10", None, root=tmp_path, now=NOW, timeout=5
        )
    [got] = receiver.received
    payload = json.loads(got.body)
    blocks = payload["blocks"]
    assert limit_problems(payload) == []
    assert 3 < len(blocks) <= MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) == HEADER_TEXT
    assert blocks[0]["text"]["text"].endswith("…")
    assert all(len(b["text"]["text"]) <= SECTION_TEXT for b in blocks if "text" in b)
    assert sum(len(json.dumps(b)) for b in blocks) < MAX_TOTAL_TEXT * 1.5
    note = blocks[-2]["text"]["text"]
    assert "more blocks left out to fit Slack's limits" in note
    assert "<https://po.example.com/org|" in note
    assert blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "productops · ref `digest.org:2026-W10`"}],
    }
    assert got.key == "digest.org:2026-W10"


def test_limit_problems_finds_each_broken_limit() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "a" * (SECTION_TEXT + 1)}}
    fields = {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": "b" * (FIELD_TEXT + 1)}] * 11,
    }
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * (HEADER_TEXT + 1)}}
    problems = limit_problems({"blocks": [header, section, fields] + [{"type": "divider"}] * 48})
    assert problems == [
        "51 blocks (at most 50)",
        f"block 0: header text {HEADER_TEXT + 1} (at most {HEADER_TEXT})",
        f"block 1: section text {SECTION_TEXT + 1} (at most {SECTION_TEXT})",
        "block 2: 11 fields (at most 10)",
        *[f"block 2: field of {FIELD_TEXT + 1} (at most {FIELD_TEXT})"] * 11,
        f"{HEADER_TEXT + 1 + SECTION_TEXT + 1 + 11 * (FIELD_TEXT + 1)} characters of text in all "
        f"(at most {MAX_TOTAL_TEXT})",
    ]


def test_a_small_alert_keeps_every_line_and_escapes_slack_s_control_characters() -> None:
    message = Message(
        "alert.experiment_srm",
        "Sample ratio mismatch: checkout-v2",
        "Arms split 5,210 / 4,610 where 50/50 was planned (p < 0.001) & <b>",
        "https://po.example.com/experiments/x",
        (Part("Arms", fields=(("control", "5,210"), ("treatment", "4,610"))),),
    )
    blocks = block_kit(message, "k")["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "context"]
    assert "(p &lt; 0.001) &amp; &lt;b&gt;" in blocks[1]["text"]["text"]
    assert blocks[1]["text"]["text"].endswith(
        "<https://po.example.com/experiments/x|Open in productops>"
    )
    assert [f["text"] for f in blocks[3]["fields"]] == ["*control*\n5,210", "*treatment*\n4,610"]
