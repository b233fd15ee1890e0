# Sourced by tools/setup and tools/package: how this script runs a command as
# root. Not executable on its own.
#
# find_as_root WHO HINT sets the array as_root to the prefix that runs a
# command as root: () when already root, (sudo) when sudo is there. Without
# either it prints "WHO: not root and no sudo; HINT" to stderr and returns 1,
# so the caller says what the user should do instead.
# sudo resets the environment: pass variables with `env NAME=value` after the
# prefix ("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get ...).
find_as_root() {
  local who=$1 hint=$2
  if [[ $(id -u) -eq 0 ]]; then
    as_root=()
  elif command -v sudo >/dev/null; then
    as_root=(sudo)
  else
    echo "$who: not root and no sudo; $hint" >&2
    return 1
  fi
}

# True when this script already runs as root.
running_as_root() {
  [[ $(id -u) -eq 0 ]]
}
