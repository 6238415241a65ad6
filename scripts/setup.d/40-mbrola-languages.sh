#!/usr/bin/env bash
# MBROLA voices of German, French, Spanish and Italian (two per language), used only by the
# lip-sync language evaluation (facemimic.lipsync.evalset.build_language_items, issue #16).
# Needs the contrib/non-free sources that 30-mbrola-voices.sh adds. Idempotent; never fails the suite.
set -u
voices="de1 de2 fr1 fr4 es1 es2 it3 it4"
missing=""
for v in $voices; do [ -e "/usr/share/mbrola/$v/$v" ] || missing="$missing mbrola-$v"; done
if [ -z "$missing" ] && command -v mbrola >/dev/null && command -v espeak-ng >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
  echo "40-mbrola-languages: not root or no apt-get; language evaluation set unavailable" >&2; exit 0
fi
if [ ! -e /etc/apt/sources.list.d/facemimic-contrib.sources ]; then
  bash "$(dirname "$0")/30-mbrola-voices.sh"
fi
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mbrola espeak-ng $missing >/dev/null 2>&1; }
install || { apt-get update -qq >/dev/null 2>&1; install; } \
  || echo "40-mbrola-languages: install failed; language evaluation set unavailable" >&2
exit 0
