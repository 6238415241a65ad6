#!/usr/bin/env bash
# The README's test command: installs what the suite needs, then runs it.
#   bash scripts/test.sh [pytest args]
# Steps in scripts/setup.d/*.sh install system tools (each is idempotent and quick when done).
set -euo pipefail
cd "$(dirname "$0")/.."
for step in scripts/setup.d/*.sh; do
  [ -e "$step" ] || continue
  echo "== setup: $step"
  bash "$step"
done
echo "== pip install -e .[test]"
python3 -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "^WARNING: Running pip as the 'root'" || true
echo "== pytest"
exec python3 -m pytest -q "$@"
