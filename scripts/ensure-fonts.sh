#!/bin/sh
# Fonts for the PDF digest: Noto (accented Latin, Greek, Cyrillic), a CJK font (秦刚 as glyphs,
# not boxes) and HarfBuzz's subsetter (without it WeasyPrint falls back to fontTools and CJK
# digests render about 20x slower). A fresh Debian machine has only DejaVu.
#
# On Debian/Ubuntu as root: installs whatever is missing, quietly (about 46 MB).
# Otherwise: prints the exact command to run. Never fails the caller: a missing font is a
# warning at build time, not an error.
set -u

missing=""
need() {  # need PACKAGE [ALTERNATIVE...]: satisfied when any of them is installed
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && return 0
  done
  missing="$missing $1"
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  if ! fc-list 2>/dev/null | grep -qi -e "WenQuanYi" -e "CJK"; then
    echo "briefgen: PDF digests need Noto fonts, a CJK font (Noto CJK or WenQuanYi Micro Hei)" \
      "and libharfbuzz-subset; install them with your system's package manager" >&2
  fi
  exit 0
fi

need fonts-noto-core fonts-noto
need fonts-wqy-microhei fonts-noto-cjk fonts-wqy-zenhei
need libharfbuzz-subset0
missing=${missing# }
[ -z "$missing" ] && exit 0

command="apt-get install -y --no-install-recommends $missing"
if [ "$(id -u)" = 0 ]; then
  echo "briefgen: installing $missing for PDF digests" >&2
  apt-get update -qq >/dev/null 2>&1
  # shellcheck disable=SC2086 # the package list is meant to split
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
    echo "briefgen: could not install them; PDF digests will warn until you run: $command" >&2
  fi
else
  echo "briefgen: PDF digests need fonts; run: sudo $command" >&2
fi
exit 0
