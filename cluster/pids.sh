# Shared by slurm_up.sh and slurm_down.sh (sourced): the daemons they own, tracked by PID files.
DIR=${KDGEN_SLURM_DIR:-/var/tmp/kdgen-slurm}

alive() {  # alive <name>: the daemon recorded under that name is running
    [ -f "$DIR/pids/$1.pid" ] && kill -0 "$(cat "$DIR/pids/$1.pid")" 2>/dev/null
}

stop() {  # stop <name>: stop the recorded daemon (TERM, then KILL after 10 s) and forget it
    local file="$DIR/pids/$1.pid" pid
    [ -f "$file" ] || return 0
    pid=$(cat "$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
        echo "stopped $1 ($pid)"
    fi
    rm -f "$file"
}
