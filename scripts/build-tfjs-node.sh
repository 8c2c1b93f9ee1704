#!/usr/bin/env bash
# Build @tensorflow/tfjs-node's native addon offline, against the TensorFlow C library that the
# PyPI wheel ships (called by scripts/setup.sh; safe to run by hand).
#
#   bash scripts/build-tfjs-node.sh          # CPU: tensorflow-cpu wheel -> @tensorflow/tfjs-node
#   AE_GPU=1 bash scripts/build-tfjs-node.sh # GPU: tensorflow[and-cuda] -> @tensorflow/tfjs-node-gpu
#
# The package's own install script downloads libtensorflow and a prebuilt addon from outside the
# npm registry, so .npmrc turns install scripts off and this does the build instead:
#   1. pip installs the wheel alone (--no-deps) into .venv/libtensorflow/<variant>-<version>
#      (not on Python's path: it is there for its C library, ~1.3 GB unpacked);
#   2. the package's deps/include and deps/lib become symlinks into it (nothing is copied);
#   3. node-gyp compiles binding/*.cc with the installed Node's own headers (no download).
# Skipped when the stamp says the same wheel, Node and addon sources were built before.
# On failure it prints one line saying which step failed and why, records the reason in
# node_modules/.tfjs-node-unavailable (initBackend reports it) and exits 0: the project then
# runs on the wasm backend. It never leaves a half-built addon in place.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TF_VERSION=2.21.0
VENV="$ROOT/.venv"
UNAVAILABLE="$ROOT/node_modules/.tfjs-node-unavailable"
say() { printf '[setup] %s\n' "$*"; }

if [ "${AE_GPU:-0}" = 1 ]; then
  VARIANT=gpu
  WHEEL="tensorflow[and-cuda]==$TF_VERSION"
  PKG_NAME=@tensorflow/tfjs-node-gpu
else
  VARIANT=cpu
  WHEEL="tensorflow-cpu==$TF_VERSION"
  PKG_NAME=@tensorflow/tfjs-node
fi
PKG="$ROOT/node_modules/$PKG_NAME"
TF_TARGET="$VENV/libtensorflow/$VARIANT-$TF_VERSION"
TF_DIR="$TF_TARGET/tensorflow"
ADDON="$PKG/lib/napi-v8/tfjs_binding.node"
STAMP="$PKG/lib/.build-stamp"

fail() {
  local step=$1 why=$2
  say "native engine: $step failed ($why); the project will run on the wasm backend"
  printf '%s failed: %s\n' "$step" "$why" >"$UNAVAILABLE"
  exit 0
}

# The GPU path: only where an NVIDIA driver answers. It cannot be tested on a CPU machine and
# must not touch the CPU install there.
if [ "$VARIANT" = gpu ]; then
  if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
    say "native engine (GPU): refused: no NVIDIA GPU answers here (nvidia-smi -L failed); AE_GPU=1 needs a CUDA-capable GPU and its driver. The CPU engine is unchanged."
    exit 0
  fi
  if [ ! -d "$PKG" ]; then
    npm install --no-save --no-audit --no-fund --loglevel=error "$PKG_NAME@4.22.0" >/dev/null ||
      fail "npm install $PKG_NAME" "see the npm messages above"
  fi
fi

[ -d "$PKG/binding" ] || fail "finding $PKG_NAME" "node_modules/$PKG_NAME has no binding/ sources: run npm ci"
[ -x "$VENV/bin/python" ] || fail "finding the venv" ".venv/bin/python is missing"
node_bin=$(command -v node)
NODE_DIR=$(cd "$(dirname "$node_bin")/.." && pwd)
[ -f "$NODE_DIR/include/node/common.gypi" ] ||
  fail "finding Node's headers" "no $NODE_DIR/include/node/common.gypi (Debian: apt-get install libnode-dev)"
NODE_GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NODE_GYP" ] || fail "finding node-gyp" "npm's bundled node-gyp is not at $NODE_GYP"

want="$WHEEL node-$(node -v) $(cat "$PKG/binding/"*.cc "$PKG/binding.gyp" | sha256sum | cut -c1-16)"
if [ -f "$ADDON" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
  [ -f "$TF_DIR/libtensorflow_cc.so.2" ]; then
  rm -f "$UNAVAILABLE"
  say "native engine: $PKG_NAME addon up to date (TensorFlow $TF_VERSION, $VARIANT)"
  exit 0
fi

started=$(date +%s)
if [ ! -f "$TF_DIR/libtensorflow_cc.so.2" ]; then
  say "native engine: pip install --no-deps $WHEEL (its C library, ~1.3 GB unpacked) ..."
  rm -rf "$TF_TARGET"
  mkdir -p "$(dirname "$TF_TARGET")"
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check --no-deps --no-compile \
    --target "$TF_TARGET" "$WHEEL" >/dev/null 2>"$TF_TARGET.log" ||
    { rm -rf "$TF_TARGET"; fail "pip install $WHEEL" "$(tail -n 1 "$TF_TARGET.log")"; }
  rm -f "$TF_TARGET.log"
fi
[ -f "$TF_DIR/libtensorflow_cc.so.2" ] && [ -f "$TF_DIR/include/tensorflow/c/eager/c_api.h" ] ||
  fail "reading the wheel" "no libtensorflow_cc.so.2 or C headers under $TF_DIR"

# Link, don't copy: the binding's rpath is $ORIGIN/../../deps/lib, and the two libraries are
# found there under the names the linker and the loader ask for.
rm -rf "$PKG/deps" "$PKG/build" "$PKG/lib"
mkdir -p "$PKG/deps/lib"
ln -s "$TF_DIR/include" "$PKG/deps/include"
for name in libtensorflow.so libtensorflow_cc.so.2; do
  ln -s "$TF_DIR/libtensorflow_cc.so.2" "$PKG/deps/lib/$name"
done
for name in libtensorflow_framework.so libtensorflow_framework.so.2; do
  ln -s "$TF_DIR/libtensorflow_framework.so.2" "$PKG/deps/lib/$name"
done

say "native engine: compiling the $PKG_NAME addon (node-gyp, Node's own headers) ..."
log=$(mktemp)
if ! (cd "$PKG" && node "$NODE_GYP" rebuild --nodedir="$NODE_DIR" \
  --module_name=tfjs_binding --module_path="$PKG/lib/napi-v8" --napi_build_version=8 >"$log" 2>&1); then
  why=$(grep -m1 -E 'error' "$log" || tail -n 1 "$log")
  rm -rf "$PKG/lib" "$PKG/build"
  rm -f "$log"
  fail "compiling the addon" "$why"
fi
rm -f "$log"
rm -rf "$PKG/build"

# The addon must load and register the backend, or it is not installed.
if ! check=$(TF_CPP_MIN_LOG_LEVEL=3 node -e "
  const tf = require('$PKG_NAME');
  if (tf.getBackend() !== 'tensorflow') throw new Error('backend ' + tf.getBackend());
  tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync());
" 2>&1); then
  rm -rf "$PKG/lib"
  fail "loading the addon" "$(printf '%s\n' "$check" | grep -m1 -E 'Error' || printf '%s' "$check" | tail -n 1)"
fi
echo "$want" >"$STAMP"
rm -f "$UNAVAILABLE"
say "native engine: built in $(($(date +%s) - started)) s (TensorFlow $TF_VERSION C library, $VARIANT)"
