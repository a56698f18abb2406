#!/usr/bin/env bash
# Install the tool with its test dependencies, check the declared dependencies, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

# The report's browser test opens the HTML in Debian's Chromium through Playwright's Python
# package (installed with the test extras; never a downloaded browser). Without Chromium
# that test skips and says why.
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
      || echo "scripts/test.sh: could not install chromium; the browser test will be skipped" >&2
  else
    echo "scripts/test.sh: not root, chromium not installed; the browser test will be skipped" >&2
  fi
fi

# every imported package is declared in pyproject.toml and every declared one is used
python3 -m deptry .

python3 -m pytest -q "$@"
