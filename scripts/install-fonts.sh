#!/usr/bin/env bash
# The fallback font PDFium draws CJK text with when a PDF does not embed its font
# (docs/conversion.md, "Fonts"): Debian's fonts-wqy-microhei (1.6 MB download), which covers
# Japanese, Chinese (simplified and traditional) and Korean.
#
# Run by `make serve` and by scripts/test-services.sh start. Idempotent. Installs with apt-get only
# when run as root on a system that has it; otherwise it says what to install and exits 0, so the
# server still starts (PDFs whose CJK fonts are not embedded then show blank text).
set -euo pipefail

PACKAGE="fonts-wqy-microhei"
FONT="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

say() { printf 'install-fonts: %s\n' "$*" >&2; }

if [ -f "$FONT" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  progress="$(dirname "$0")/progress.sh"
  "$progress" "installing $PACKAGE (CJK fallback font for PDFs that do not embed theirs)" -- \
    bash -c "DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGE" >&2
  exit 0
fi
say "warning: no CJK fallback font: Chinese, Japanese and Korean text in PDFs that do not embed"
say "  their fonts will be drawn blank. Install one: apt-get install $PACKAGE (Debian/Ubuntu),"
say "  or any font covering CJK in /usr/share/fonts; 'flipshelf check' reports what is missing."
