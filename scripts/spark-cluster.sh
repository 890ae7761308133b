#!/usr/bin/env bash
# A Spark standalone cluster on this machine (a master and 2 workers, 1 core each) and a Spark
# Connect server, run with the pyspark wheel's own spark-class and bound to 127.0.0.1
# (docs/scale.md, "A cluster on this machine").
#
#   scripts/spark-cluster.sh start|stop|status|connect-start|connect-stop
#
# `status` exits 1 when nothing runs.
# Settings (environment): SPARK_CLUSTER_DIR (logs, pid files, work folders; default
# tmp/spark-cluster in the checkout), SPARK_MASTER_PORT (7077), SPARK_MASTER_WEBUI_PORT (8080),
# SPARK_WORKER_INSTANCES (2), SPARK_WORKER_CORES (1), SPARK_WORKER_MEMORY (2g, for executors),
# SPARK_DAEMON_MEMORY (512m, each master and worker JVM), SPARK_CONNECT_PORT (15002),
# SPARK_CONNECT_MASTER (where the Connect server runs its work; default this cluster),
# SPARK_CLUSTER_TIMEOUT (seconds start waits; 90), PYTHON (the Python whose pyspark is used;
# default the checkout's .venv, else python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
host=127.0.0.1
dir=$(realpath -m "${SPARK_CLUSTER_DIR:-$root/tmp/spark-cluster}")
master_port=${SPARK_MASTER_PORT:-7077}
webui_port=${SPARK_MASTER_WEBUI_PORT:-8080}
workers=${SPARK_WORKER_INSTANCES:-2}
worker_cores=${SPARK_WORKER_CORES:-1}
worker_memory=${SPARK_WORKER_MEMORY:-2g}
connect_port=${SPARK_CONNECT_PORT:-15002}
master_url="spark://$host:$master_port"
connect_master=${SPARK_CONNECT_MASTER:-$master_url}
timeout=${SPARK_CLUSTER_TIMEOUT:-90}
if [ -z "${PYTHON:-}" ]; then
  PYTHON=python3
  [ -x "$root/.venv/bin/python" ] && PYTHON=$root/.venv/bin/python
fi

die() {
  echo "spark-cluster: $*" >&2
  exit 1
}

spark_home() {
  "$PYTHON" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null \
    || die "$PYTHON has no pyspark: pip install 'productops[spark]' (or set PYTHON)"
}

# Whether the process in pid file `$1` lives (a zombie, ended but not yet reaped, does not) and
# is ours: a JVM naming this folder, or spark-class still building its command (not a process
# that took the pid of one that ended).
alive() {
  local line
  [ -f "$1" ] && line=$(ps -ww -o stat=,args= -p "$(cat "$1")" 2>/dev/null) || return 1
  [ "${line:0:1}" != Z ] && [[ $line == *"$dir"* || $line == *spark-class* || $line == *spark-submit* ]]
}

# Run spark-class (which ends by exec-ing java, so the pid is the JVM's) in the background.
launch() {
  local name=$1
  shift
  # The Spark daemons and the Connect server carry the folder in their command line, so that
  # `stop` can check that none is left; one port each, no silent move to the next port.
  SPARK_HOME=$home PYSPARK_PYTHON=$PYTHON SPARK_DAEMON_MEMORY=${SPARK_DAEMON_MEMORY:-512m} \
    SPARK_DAEMON_JAVA_OPTS="-Dproductops.spark.cluster=$dir -Dspark.port.maxRetries=0" \
    SPARK_LOCAL_IP=$host SPARK_LOG_DIR=$dir/logs \
    nohup "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$dir/$name.pid"
}

# The master's JSON status (its web UI's /json), or nothing when it does not answer.
master_json() {
  "$PYTHON" - "http://$host:$webui_port/json/" <<'EOF' 2>/dev/null || true
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    status = json.load(response)
alive = [w for w in status.get("workers", []) if w.get("state") == "ALIVE"]
print(status.get("status", "?"), len(alive), status.get("url", "?"))
EOF
}

port_open() {
  "$PYTHON" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)' \
    "$host" "$1" 2>/dev/null
}

# Wait until `$2` (a command) succeeds, while every pid file in `$3...` lives, up to $timeout s;
# else say why and fail.
wait_for() {
  local what=$1 check=$2
  shift 2
  local deadline=$((SECONDS + timeout)) pid name
  until eval "$check"; do
    for pid in "$@"; do
      name=$(basename "$pid" .pid)
      alive "$pid" || { echo "spark-cluster: $what: $name exited; see $dir/logs/$name.log" >&2; return 1; }
    done
    if [ $SECONDS -ge $deadline ]; then
      echo "spark-cluster: $what: not ready after ${timeout}s; see the logs in $dir/logs" >&2
      return 1
    fi
    sleep 0.5
  done
}

# Stop the processes in the pid files given: TERM, up to 20 s, then KILL.
stop_pids() {
  local pid_file pid deadline=$((SECONDS + 20))
  for pid_file in "$@"; do
    alive "$pid_file" && kill -TERM "$(cat "$pid_file")" 2>/dev/null || true
  done
  for pid_file in "$@"; do
    while alive "$pid_file" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    alive "$pid_file" && kill -KILL "$(cat "$pid_file")" 2>/dev/null || true
    rm -f "$pid_file"
  done
}

# Java processes left with this folder in their command line (executors a worker did not stop).
leftovers() {
  ps -ww -eo pid=,stat=,args= | awk -v dir="$dir" '$2 !~ /^Z/ && $3 ~ /(^|\/)java$/ && index($0, dir) { print $1 }'
}

start() {
  mkdir -p "$dir/logs"
  alive "$dir/master.pid" && die "already running ($master_url); stop it first"
  home=$(spark_home)
  launch master "$home/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host "$host" --port "$master_port" --webui-port "$webui_port"
  local i pids=("$dir/master.pid")
  for i in $(seq 1 "$workers"); do
    launch "worker-$i" "$home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host "$host" --port 0 --webui-port 0 --cores "$worker_cores" --memory "$worker_memory" \
      --work-dir "$dir/work-$i" "$master_url"
    pids+=("$dir/worker-$i.pid")
  done
  wait_for "start" '[ "$(master_json | cut -d" " -f1-2)" = "ALIVE $workers" ]' "${pids[@]}" \
    || { stop_all; exit 1; }
  echo "$master_url: $workers workers ALIVE (web UI http://$host:$webui_port, logs $dir/logs)"
}

connect_start() {
  mkdir -p "$dir/logs"
  alive "$dir/connect.pid" && die "the Connect server is running (sc://$host:$connect_port)"
  home=$(spark_home)
  # The server is a Spark driver: the same settings as productops' own sessions (UTC, no UI).
  launch connect "$home/bin/spark-submit" \
    --class org.apache.spark.sql.connect.service.SparkConnectServer \
    --name "productops Spark Connect" --master "$connect_master" \
    --driver-java-options "-Dproductops.spark.cluster=$dir -Duser.timezone=UTC" \
    --conf spark.connect.grpc.binding.address=$host \
    --conf spark.connect.grpc.binding.port="$connect_port" \
    --conf spark.driver.host=$host --conf spark.driver.bindAddress=$host \
    --conf spark.port.maxRetries=0 \
    --conf spark.ui.enabled=false \
    --conf spark.sql.session.timeZone=UTC \
    --conf spark.executor.extraJavaOptions=-Duser.timezone=UTC \
    --conf spark.pyspark.python="$PYTHON" \
    --conf spark.sql.warehouse.dir="$dir/warehouse" \
    spark-internal
  wait_for "connect-start" "port_open $connect_port" "$dir/connect.pid" \
    || { stop_pids "$dir/connect.pid"; exit 1; }
  echo "sc://$host:$connect_port: Spark Connect server ready (work on $connect_master)"
}

stop_all() {
  stop_pids "$dir/connect.pid"
  local workers_pids=("$dir"/worker-*.pid)
  [ -e "${workers_pids[0]}" ] && stop_pids "${workers_pids[@]}"
  stop_pids "$dir/master.pid"
  local left
  left=$(leftovers)
  if [ -n "$left" ]; then
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
  fi
}

status() {
  local name state=stopped
  for name in master $(cd "$dir" 2>/dev/null && ls worker-*.pid 2>/dev/null | sed 's/.pid$//') connect; do
    alive "$dir/$name.pid" && echo "$name: running (pid $(cat "$dir/$name.pid"))" && state=running
  done
  local json
  json=$(master_json)
  [ -n "$json" ] && echo "master $master_url: ${json%% *}, $(echo "$json" | cut -d" " -f2) workers ALIVE"
  echo "cluster: $state ($dir)"
  [ "$state" = running ]
}

case "${1:-}" in
  start) start ;;
  stop) stop_all && echo "stopped ($dir)" ;;
  status) status ;;
  connect-start) connect_start ;;
  connect-stop) stop_pids "$dir/connect.pid" && echo "Spark Connect server stopped" ;;
  *) die "usage: $0 start|stop|status|connect-start|connect-stop" ;;
esac
