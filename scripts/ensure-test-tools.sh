#!/bin/sh
# What `make test` needs beyond Python packages: Chromium for the browser tests (Playwright drives
# Debian's /usr/bin/chromium, never a downloaded browser), pdftoppm (poppler-utils) to look at
# digest pages as images, and the fonts PDF digests use (see ensure-fonts.sh).
#
# On Debian/Ubuntu as root: installs whatever is missing. Otherwise: prints the exact command and
# fails, so that a test run never quietly skips what it could not run.
set -u

missing=""
need() {  # need PACKAGE CHECK...: missing when the check fails
  pkg=$1
  shift
  "$@" >/dev/null 2>&1 || missing="$missing $pkg"
}

need chromium test -x /usr/bin/chromium
need poppler-utils command -v pdftoppm
need fonts-noto-core sh -c 'fc-list | grep -qi "Noto Sans"'
need fonts-wqy-microhei sh -c 'fc-list | grep -qi -e "WenQuanYi" -e "Noto Sans CJK"'
missing=${missing# }
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "make test: missing: $missing (Chromium at /usr/bin/chromium, pdftoppm, Noto and a CJK font);" \
    "install them with your system's package manager" >&2
  exit 1
fi
command="apt-get install -y --no-install-recommends $missing"
if [ "$(id -u)" != 0 ]; then
  echo "make test: the tests need $missing; run: sudo $command" >&2
  exit 1
fi
echo "make test: installing $missing" >&2
apt-get update -qq >/dev/null 2>&1
# shellcheck disable=SC2086 # the package list is meant to split
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
  echo "make test: could not install them; run: $command" >&2
  exit 1
fi
