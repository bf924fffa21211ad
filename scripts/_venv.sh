# Sourced by the scripts: makes ./.venv with orderledger and its test tools, once, at the exact
# versions in constraints.txt (scripts/lock makes it from pyproject.toml). A change to either
# file reinstalls.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
stamp="$venv/.installed-$(cat "$repo/pyproject.toml" "$repo/constraints.txt" | sha1sum | cut -c1-12)"
if [[ ! -f "$stamp" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet -c "$repo/constraints.txt" -e "$repo[test]"
  rm -f "$venv"/.installed-* && touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$repo"
