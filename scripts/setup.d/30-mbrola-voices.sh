#!/usr/bin/env bash
# MBROLA US voices (us1-us3) + Debian espeak-ng, used only by the lip-sync evaluation set and
# benchmarks (facemimic.lipsync.evalset.build_mbrola_items). The voices live in Debian's
# non-free component, enabled here in a separate sources file. Idempotent; never fails the suite.
set -u
if command -v mbrola >/dev/null && [ -e /usr/share/mbrola/us3/us3 ] && command -v espeak-ng >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null; then
  echo "30-mbrola-voices: not root or no apt-get; MBROLA evaluation set unavailable" >&2; exit 0
fi
src=/etc/apt/sources.list.d/facemimic-contrib.sources
if [ ! -e "$src" ]; then
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  # Reuse the machine's own Debian mirror (the first archive URI apt is configured with).
  mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources | head -n 1 | awk '{print $2}')
  [ -n "$mirror" ] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list | head -n 1 | awk '{print $2}')
  if [ -z "$mirror" ]; then
    echo "30-mbrola-voices: no Debian mirror configured; MBROLA evaluation set unavailable" >&2; exit 0
  fi
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" "$codename" > "$src"
fi
apt-get update -qq >/dev/null 2>&1 || true
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mbrola mbrola-us1 mbrola-us2 mbrola-us3 espeak-ng >/dev/null 2>&1 \
  || echo "30-mbrola-voices: install failed; MBROLA evaluation set unavailable" >&2
exit 0
