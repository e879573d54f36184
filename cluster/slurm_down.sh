#!/usr/bin/env bash
# Stop every daemon cluster/slurm_up.sh started, by the PIDs it recorded, in reverse order.
set -uo pipefail

DIR=${KDGEN_SLURM_DIR:-/var/tmp/kdgen-slurm}
for name in slurmd slurmctld slurmdbd mariadbd munged; do
    file="$DIR/pids/$name.pid"
    [ -f "$file" ] || continue
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        echo "slurm_down: stopped $name ($pid)"
    fi
    rm -f "$file"
done
