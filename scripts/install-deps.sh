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

# npm dependencies: install when node_modules is missing or older than the lock file. `npm install`
# (which follows package-lock.json) rather than `npm ci`: npm 11 records no lock entries for optional
# platform packages the registry does not serve here (Biome's), and `npm ci` then refuses the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies"
  npm install --no-audit --no-fund --loglevel=error
fi
