#!/usr/bin/env bash
# The local Slurm demo: installs what is missing, builds herd, starts the `slurm` template of the default
# config (1 frontend + 2 compute nodes as real systemd-nspawn nodes on this machine) and shows sinfo.
# Run as root. Stop it with: ./bin/herd stop slurm --yes
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
npm run build --silent
./bin/herd start slurm "$@"
./bin/herd ssh slurm -- sinfo
