#!/usr/bin/env bash
# Installs what herd needs on this machine, only what is missing: Debian packages for the local provider
# and Ansible, then the npm dependencies. Safe to run again. Needs root for apt-get (herd's local provider
# needs root anyway).
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A NEED=(
  [ansible-playbook]=ansible-core
  [debootstrap]=debootstrap
  [systemd-nspawn]=systemd-container
  [ip]=iproute2
  [nft]=nftables
  [zstd]=zstd
  [ssh]=openssh-client
  [sftp]=openssh-client
  [ssh-keygen]=openssh-client
  # The tests run the zsh completion script (herd completion zsh) in a real zsh.
  [zsh]=zsh
  # A client nobody here wrote, to check the fake OpenStack API (test/fakes/openstack) against.
  [openstack]=python3-openstackclient
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" != 0 ]; then
    echo "herd needs these Debian packages: ${missing[*]}. Install them as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies: exactly what package-lock.json records (`npm ci`), when node_modules is missing or
# older than the lock file. The lock file lists the optional platform packages of every system (Biome's,
# rolldown's, lightningcss'), so `npm ci` installs the right ones on any platform; after changing
# package.json, refresh the lock with `npm install --package-lock-only` (it keeps those entries) and
# commit both files.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
