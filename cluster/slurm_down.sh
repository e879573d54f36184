#!/usr/bin/env bash
# Stop every daemon cluster/slurm_up.sh started, by the PIDs it recorded, in reverse order.
set -uo pipefail
source "$(dirname "$0")/pids.sh"
for name in slurmd slurmctld slurmdbd mariadbd munged; do
    stop "$name"
done
