#!/usr/bin/env bash
# Install what tests/test_tour_browser.py needs: Debian's Chromium and Playwright for
# Python. Playwright drives the system Chromium (executable_path=/usr/bin/chromium); it
# never downloads a browser of its own (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD below).
# Safe to run twice: it installs only what is missing.
set -euo pipefail
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if ! command -v chromium >/dev/null 2>&1; then
  sudo_=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo_="sudo"; fi
  $sudo_ apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq chromium
fi
if ! python -c "import playwright.sync_api" >/dev/null 2>&1; then
  python -m pip install -q "playwright>=1.40"
fi
chromium --version
python -c "import importlib.metadata as m; print('playwright', m.version('playwright'))"
