# Sourced by the scripts: makes ./.venv with orderledger and its test tools, once.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
stamp="$venv/.installed-$(sha1sum "$repo/pyproject.toml" | cut -c1-12)"
if [[ ! -f "$stamp" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet -e "$repo[test]"
  rm -f "$venv"/.installed-* && touch "$stamp"
fi
export PATH="$venv/bin:$PATH"
cd "$repo"
