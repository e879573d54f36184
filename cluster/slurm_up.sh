#!/usr/bin/env bash
# Bring up a real single-node SLURM on this Debian machine, as root: munge, MariaDB, slurmdbd
# (accounting, so the Snakemake SLURM plugin's default `sacct` status check works), slurmctld and
# slurmd, with fake GPU devices declared as GRES. Idempotent: what already runs is left running.
# Every daemon it starts has its PID written under $KDGEN_SLURM_DIR/pids; cluster/slurm_down.sh
# stops exactly those.
#
#   sudo bash cluster/slurm_up.sh          # then: sinfo, sbatch, snakemake --profile profiles/slurm
#
# Environment: KDGEN_SLURM_DIR (state, logs, pids; default /var/tmp/kdgen-slurm),
# KDGEN_SLURM_FAKE_GPUS (fake GPU devices on the node; default 2).
set -euo pipefail

source "$(dirname "$0")/pids.sh"  # DIR, alive, stop
GPUS=${KDGEN_SLURM_FAKE_GPUS:-2}
PACKAGES=(munge slurm-client slurmctld slurmd slurmdbd mariadb-server)
HOST=$(hostname -s)

say() { echo "slurm_up: $*"; }
die() { echo "slurm_up: $*" >&2; exit 2; }

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts system daemons)"
[ -f /etc/debian_version ] || die "needs Debian or a derivative (apt packages ${PACKAGES[*]})"

wait_for() {  # wait_for <seconds> <description> <command...>
    local limit=$1 what=$2; shift 2
    for _ in $(seq 1 $((limit * 4))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
    die "timed out after ${limit}s waiting for $what (logs in $DIR/log)"
}
record_pid() {  # record_pid <name> <pidfile written by the daemon>
    wait_for 20 "$1 to write $2" test -s "$2"
    cp "$2" "$DIR/pids/$1.pid"
}

missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq
    # a policy-rc.d keeps the packages from starting daemons of their own (this script starts them)
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    if [ "$own_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

mkdir -p "$DIR"/{pids,log,state/ctld,state/d,dev}
chmod 755 "$DIR"

# --- munge ------------------------------------------------------------------------------------
if ! alive munged; then
    [ -s /etc/munge/munge.key ] || mungekey --create --keyfile /etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key && chmod 0400 /etc/munge/munge.key
    install -d -o munge -g munge -m 0755 /run/munge
    rm -f /run/munge/munged.pid
    runuser -u munge -- /usr/sbin/munged --force
    record_pid munged /run/munge/munged.pid
    say "munged running"
fi
wait_for 10 "munge" bash -c 'munge -n | unmunge'

# --- MariaDB for slurmdbd -----------------------------------------------------------------------
if ! alive mariadbd; then
    [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    install -d -o mysql -g mysql -m 0755 /run/mysqld
    rm -f /run/mysqld/mysqld.pid
    runuser -u mysql -- /usr/sbin/mariadbd --datadir=/var/lib/mysql --socket=/run/mysqld/mysqld.sock \
        --pid-file=/run/mysqld/mysqld.pid --bind-address=127.0.0.1 --log-error="$DIR/log/mariadb.log" \
        >/dev/null 2>&1 &
    record_pid mariadbd /run/mysqld/mysqld.pid
    say "mariadbd running"
fi
wait_for 30 "MariaDB" mariadb -e "SELECT 1"
DB_PASS=kdgen-slurm-local
mariadb -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

# --- configuration ------------------------------------------------------------------------------
MEM_MB=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
CPUS=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)  # the CPUs this machine offers (nproc obeys OMP_* limits)
for i in $(seq 0 $((GPUS - 1))); do
    [ -c "$DIR/dev/fakegpu$i" ] || mknod "$DIR/dev/fakegpu$i" c 1 3  # clones of /dev/null
done
mkdir -p /etc/slurm
old_conf=$(cat /etc/slurm/slurm.conf /etc/slurm/gres.conf 2>/dev/null || true)
cat > /etc/slurm/slurm.conf <<EOF
# Written by kdgen's cluster/slurm_up.sh: a single-node test cluster.
ClusterName=kdgen
SlurmctldHost=$HOST(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MinJobAge=300
GresTypes=gpu
StateSaveLocation=$DIR/state/ctld
SlurmdSpoolDir=$DIR/state/d
SlurmctldPidFile=$DIR/state/slurmctld.pid
SlurmdPidFile=$DIR/state/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoreFlags=job_comment
AccountingStorageTRES=gres/gpu
JobAcctGatherType=jobacct_gather/none
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$MEM_MB Gres=gpu:$GPUS State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
cat > /etc/slurm/gres.conf <<EOF
NodeName=$HOST Name=gpu File=$DIR/dev/fakegpu[0-$((GPUS - 1))]
EOF
cat > /etc/slurm/slurmdbd.conf <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
PidFile=$DIR/state/slurmdbd.pid
LogFile=$DIR/log/slurmdbd.log
EOF
chmod 600 /etc/slurm/slurmdbd.conf

# --- SLURM daemons ------------------------------------------------------------------------------
if [ "$old_conf" != "$(cat /etc/slurm/slurm.conf /etc/slurm/gres.conf)" ]; then
    # a reconfigure does not pick up every setting (accounting TRES, GRES): restart instead
    say "configuration changed: restarting slurmctld and slurmd"
    stop slurmd && stop slurmctld
fi
if ! alive slurmdbd; then
    rm -f "$DIR/state/slurmdbd.pid"
    /usr/sbin/slurmdbd
    record_pid slurmdbd "$DIR/state/slurmdbd.pid"
    say "slurmdbd running"
fi
wait_for 30 "slurmdbd" sacctmgr -n list cluster
sacctmgr -n list cluster format=cluster | grep -qw kdgen || sacctmgr -i add cluster kdgen >/dev/null
if ! alive slurmctld; then
    rm -f "$DIR/state/slurmctld.pid"
    /usr/sbin/slurmctld
    record_pid slurmctld "$DIR/state/slurmctld.pid"
    say "slurmctld running"
fi
if ! alive slurmd; then
    rm -f "$DIR/state/slurmd.pid"
    /usr/sbin/slurmd
    record_pid slurmd "$DIR/state/slurmd.pid"
    say "slurmd running"
fi
wait_for 60 "the node to be idle" bash -c '[ "$(sinfo -h -o %T | head -n1)" = idle ] || [ "$(sinfo -h -o %T | head -n1)" = mixed ]'
say "ready: $(sinfo -h -o '%P %D %T %C %G')"
