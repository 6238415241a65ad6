#!/usr/bin/env bash
# Tools the glTF/VRM export tests need (tests/deliver/test_export*.py):
#   * Khronos glTF validator (npm "gltf-validator"), three.js (npm "three") and pixiv's VRM loaders
#     (npm "@pixiv/three-vrm", "@pixiv/three-vrm-animation"), installed into a cache folder outside
#     the repo: ${FACEMIMIC_NPM_CACHE:-~/.cache/facemimic/npm}/node_modules
#   * Debian's chromium at /usr/bin/chromium (driven headless by Python Playwright).
# Idempotent: does nothing when everything is already there.
set -euo pipefail

NPM_DIR="${FACEMIMIC_NPM_CACHE:-$HOME/.cache/facemimic/npm}"
GLTF_VALIDATOR_VERSION="2.0.0-dev.3.10"
THREE_VERSION="0.170.0"
THREE_VRM_VERSION="3.5.5"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "20-gltf-tools: installing nodejs/npm (apt)"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq nodejs npm >/dev/null
fi

have_pkg() {  # name version
  [ -f "$NPM_DIR/node_modules/$1/package.json" ] &&
    node -e "process.exit(require('$NPM_DIR/node_modules/$1/package.json').version === '$2' ? 0 : 1)"
}
# Exact versions with integrity hashes: scripts/npm/package-lock.json (committed; npm ci refuses a
# tarball whose sha512 differs). Regenerate after changing a version in scripts/npm/package.json:
#   (cd scripts/npm && npm install --package-lock-only)
LOCK_DIR="$(cd "$(dirname "$0")/../npm" && pwd)"
if ! cmp -s "$LOCK_DIR/package-lock.json" "$NPM_DIR/package-lock.json" ||
   ! have_pkg gltf-validator "$GLTF_VALIDATOR_VERSION" || ! have_pkg three "$THREE_VERSION" ||
   ! have_pkg @pixiv/three-vrm "$THREE_VRM_VERSION" || ! have_pkg @pixiv/three-vrm-animation "$THREE_VRM_VERSION"; then
  echo "20-gltf-tools: npm ci (gltf-validator three @pixiv/three-vrm @pixiv/three-vrm-animation) -> $NPM_DIR"
  mkdir -p "$NPM_DIR"
  cp "$LOCK_DIR/package.json" "$LOCK_DIR/package-lock.json" "$NPM_DIR/"
  npm ci --prefix "$NPM_DIR" --no-audit --no-fund --loglevel=error
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "20-gltf-tools: installing chromium (apt)"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium >/dev/null
fi
