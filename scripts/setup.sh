#!/usr/bin/env bash
# Quick-start command 1: install everything this workspace needs, build it, run the main job.
#
#   bash scripts/setup.sh            # AE_QUICK=1 bash scripts/setup.sh for the quick preset
#
# Steps (each prints one line, and is skipped when already done, so a second run is fast):
#   1. check node >= 20, npm, python3 >= 3.10 with venv
#   2. Debian packages chromium and dataset-fashion-mnist (installed when root; else the command)
#   3. npm ci                 (only when package-lock.json changed since the last install)
#   4. .venv + requirements   (only when requirements.txt changed or the checkout moved)
#   5. tslab kernel in .venv  (only when kernel.json does not point at this checkout's tslab)
#   6. native engine          (scripts/build-tfjs-node.sh: tfjs-node's addon against the PyPI
#                              tensorflow-cpu wheel's C library; skipped when built; wasm if not)
#   7. npm run build          (tsc, incremental)
#   8. npm run main           (the main job; SETUP_SKIP_MAIN=1 skips it)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(chromium dataset-fashion-mnist)
VENV="$ROOT/.venv"
TSLAB="$ROOT/node_modules/.bin/tslab"

say() { printf '[setup] %s\n' "$*"; }
warn() { printf '[setup] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[setup] ERROR: %s\n' "$*" >&2
  exit 1
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
started=$(date +%s)

# 1. Tools ---------------------------------------------------------------------------------------
command -v node >/dev/null || die "node not found: install Node.js 20 or later (e.g. from nodejs.org or nodesource) and re-run"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "node $(node -v) is too old: this project needs Node.js >= 20"
command -v npm >/dev/null || die "npm not found: install npm (it ships with Node.js) and re-run"
command -v python3 >/dev/null || die "python3 not found: install Python >= 3.10 (Debian: apt-get install python3 python3-venv)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' ||
  die "python3 $(python3 -V 2>&1) is too old: this project needs Python >= 3.10 (JupyterLab 4.6)"
need_venv_pkg=0
python3 -c 'import venv, ensurepip' 2>/dev/null || need_venv_pkg=1
say "tools: node $(node -v), npm $(npm -v), $(python3 -V 2>&1)"

# 2. Debian packages -----------------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ "$need_venv_pkg" = 1 ]; then
  missing+=("python3-venv")
fi
if [ ${#missing[@]} -eq 0 ]; then
  say "apt: ${APT_PACKAGES[*]} already installed"
elif ! command -v apt-get >/dev/null; then
  warn "missing ${missing[*]} and no apt-get here: install the equivalents by hand (chromium renders figures, dataset-fashion-mnist provides /usr/share/datasets/fashion-mnist)"
elif [ "$(id -u)" -eq 0 ]; then
  say "apt: installing ${missing[*]} ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
else
  warn "not root, so not installing ${missing[*]}. Run: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
fi
if [ "$need_venv_pkg" = 1 ] && ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  die "python3 cannot create virtual environments: run apt-get install python3-venv (as root) and re-run"
fi

# 3. npm packages --------------------------------------------------------------------------------
npm_stamp="$ROOT/node_modules/.setup-package-lock.sha256"
lock_hash=$(sha package-lock.json)
if [ -f "$npm_stamp" ] && [ "$(cat "$npm_stamp")" = "$lock_hash" ] && [ -x "$TSLAB" ]; then
  say "npm: node_modules up to date with package-lock.json"
else
  say "npm: npm ci ..."
  npm ci --no-audit --no-fund --loglevel=error >/dev/null || die "npm ci failed (see the messages above)"
  echo "$lock_hash" >"$npm_stamp"
fi

# 4. Python venv ---------------------------------------------------------------------------------
venv_stamp="$VENV/.setup-requirements.sha256"
want="$(sha requirements.txt) $VENV"
if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
  say "venv: $VENV is broken (its Python moved?), recreating"
  rm -rf "$VENV"
fi
if [ -f "$venv_stamp" ] && [ "$(cat "$venv_stamp")" = "$want" ]; then
  say "venv: .venv up to date with requirements.txt"
else
  if [ -f "$venv_stamp" ] && [ "$(cut -d' ' -f2- "$venv_stamp")" != "$VENV" ]; then
    # Scripts in a venv hard-code its path: a venv copied with a moved checkout must be rebuilt.
    say "venv: checkout moved, recreating .venv"
    rm -rf "$VENV"
  fi
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
  say "venv: pip install -r requirements.txt ..."
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check -r requirements.txt ||
    die "pip install -r requirements.txt failed (see the messages above)"
  echo "$want" >"$venv_stamp"
fi

# 5. tslab kernel registered in the venv (not machine-wide) -----------------------------------
kernel_json="$VENV/share/jupyter/kernels/tslab/kernel.json"
if [ -f "$kernel_json" ] && "$VENV/bin/python" - "$kernel_json" "$TSLAB" <<'EOF'; then
import json, sys
sys.exit(json.load(open(sys.argv[1]))["argv"][0] != sys.argv[2])
EOF
  say "kernel: tslab registered in .venv"
else
  say "kernel: registering tslab in .venv ..."
  "$TSLAB" install --python "$VENV/bin/python" --sys-prefix --binary "$TSLAB" >/dev/null ||
    die "tslab install failed"
fi

# 6. Native TensorFlow engine (never fatal: on failure it says why and the project uses wasm) --
bash "$ROOT/scripts/build-tfjs-node.sh"

# 7. Build ------------------------------------------------------------------------------------
# Notebooks are committed clean: the pre-commit hook refuses outputs (README, Working in JupyterLab).
if git rev-parse --git-dir >/dev/null 2>&1 && [ -z "$(git config core.hooksPath || true)" ]; then
  git config core.hooksPath scripts/git-hooks
  say "git: pre-commit hook for clean notebooks enabled (core.hooksPath scripts/git-hooks)"
fi

say "build: npm run build (tsc lib/ -> dist/lib)"
npm run --silent build || die "npm run build failed: fix the TypeScript errors above"

say "installed in $(($(date +%s) - started)) s"

# 8. Main job ---------------------------------------------------------------------------------
if [ "${SETUP_SKIP_MAIN:-0}" = 1 ]; then
  say "main: skipped (SETUP_SKIP_MAIN=1)"
else
  say "main: npm run main${AE_QUICK:+ (AE_QUICK=$AE_QUICK)}"
  npm run --silent main || die "the main job failed (see above)"
fi
say "done in $(($(date +%s) - started)) s"
