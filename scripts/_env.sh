# Shared by scripts/demo and scripts/test: find Python >= 3.11 and make .venv with Closeloop in it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Closeloop needs Python 3.11 or newer (python3.11 not found)." >&2
  return 1
}

ensure_venv() {  # ensure_venv EXTRAS
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv …"
    "$(find_python)" -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
  local stamp=".venv/.installed${extras:+-$extras}"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "Installing Closeloop${extras:+ with [$extras]} …"
    .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
    touch "$stamp"
  fi
}
