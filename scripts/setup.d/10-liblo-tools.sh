#!/usr/bin/env bash
# Debian's liblo-tools gives `oscdump`, the independent OSC receiver the delivery tests check
# FaceMimic's VRChat/VMC packets against. Idempotent: does nothing when oscdump is already there.
set -euo pipefail
if command -v oscdump >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends liblo-tools >/dev/null 2>&1; then
  # A fresh machine has no package lists yet.
  $SUDO apt-get update -qq
  $SUDO apt-get install -y --no-install-recommends liblo-tools >/dev/null
fi
command -v oscdump >/dev/null
