#!/usr/bin/env bash
# The engine matrix beside the machine's own Docker 20.10: `engines.sh install|start|stop docker26|podman`.
#  docker26: Debian 13's docker.io 26.1 (API 1.45), containerd 1.7 and the compose v2 plugin, unpacked into
#            /opt/glasshouse-engines/docker26 (nothing of the system's packages is replaced; Debian 12's runc is
#            used: Debian 13's needs a newer glibc). It runs with its own containerd, socket, data root, exec root
#            and bridge, and leaves iptables alone, so it can run beside the system's dockerd.
#  podman:   Debian 12's podman 4.3, its Docker-compatible API served rootful on its own socket.
# The Debian mirror is the one this machine's apt sources already name (no host name is written here).
set -euo pipefail
ACTION=${1:?usage: engines.sh install|start|stop|env docker26|podman}
ENGINE=${2:?usage: engines.sh install|start|stop|env docker26|podman}
OPT=/opt/glasshouse-engines
export DEBIAN_FRONTEND=noninteractive

mirror() {
  local uri
  uri=$(grep -h -m1 -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -1 || true)
  [ -n "$uri" ] || uri=$(grep -h -m1 -E '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -1 || true)
  [ -n "$uri" ] || { echo "no Debian mirror found in this machine's apt sources" >&2; exit 1; }
  echo "$uri"
}

D26=$OPT/docker26
D26_RUN=/run/glasshouse-docker26
D26_SOCK=$D26_RUN/docker.sock
D26_BRIDGE=gh26br0
D26_POOL=172.31.0.0/16
PODMAN_SOCK=/run/glasshouse-podman/podman.sock

case "$ENGINE:$ACTION" in
docker26:install)
  [ -x "$D26/usr/sbin/dockerd" ] && exit 0
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror) trixie main" > "$tmp/sources"
  apto=(-o APT::Sandbox::User=root -o "Dir::Etc::sourcelist=$tmp/sources" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache")
  apt-get "${apto[@]}" update -qq
  (cd "$tmp" && apt-get "${apto[@]}" download docker.io containerd docker-compose >/dev/null 2>&1)
  mkdir -p "$D26"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$D26"; done
  rm -rf "$tmp"
  # the compose v2 plugin where every docker CLI looks for plugins
  mkdir -p /usr/local/lib/docker/cli-plugins
  ln -sf "$D26/usr/libexec/docker/cli-plugins/docker-compose" /usr/local/lib/docker/cli-plugins/docker-compose
  "$D26/usr/sbin/dockerd" --version
  ;;
docker26:start)
  mkdir -p "$D26_RUN" /var/lib/glasshouse-docker26 /var/lib/glasshouse-containerd26
  if ! ip link show "$D26_BRIDGE" >/dev/null 2>&1; then
    ip link add "$D26_BRIDGE" type bridge
    ip addr add 172.31.226.1/24 dev "$D26_BRIDGE"
    ip link set "$D26_BRIDGE" up
  fi
  # The system dockerd set FORWARD's policy to DROP and bridged traffic passes through it: accept what stays
  # inside this engine's own address pool (its bridge and the networks it creates), nothing else.
  iptables -C FORWARD -s "$D26_POOL" -d "$D26_POOL" -j ACCEPT 2>/dev/null || iptables -I FORWARD -s "$D26_POOL" -d "$D26_POOL" -j ACCEPT
  cat > "$D26_RUN/containerd.toml" <<EOF
version = 2
root = "/var/lib/glasshouse-containerd26"
state = "$D26_RUN/containerd"
[grpc]
  address = "$D26_RUN/containerd.sock"
[ttrpc]
  address = "$D26_RUN/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  disable_cgroup = false
EOF
  # dockerd deletes the default docker0 bridge when it is given another one (--bridge): it assumes docker0 is its
  # own leftover. The system dockerd's docker0 is put back as it was once this one has started.
  docker0=$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | head -1)
  export PATH="$D26/usr/bin:$D26/usr/sbin:$PATH"
  (setsid containerd --config "$D26_RUN/containerd.toml" >"$D26_RUN/containerd.log" 2>&1 &)
  for _ in $(seq 1 50); do [ -S "$D26_RUN/containerd.sock" ] && break; sleep 0.2; done
  (setsid dockerd --host "unix://$D26_SOCK" --containerd "$D26_RUN/containerd.sock" --data-root /var/lib/glasshouse-docker26 \
     --exec-root "$D26_RUN/exec" --pidfile "$D26_RUN/dockerd.pid" --bridge "$D26_BRIDGE" --default-address-pool "base=$D26_POOL,size=24" --iptables=false --ip6tables=false \
     >"$D26_RUN/dockerd.log" 2>&1 &)
  for _ in $(seq 1 60); do docker -H "unix://$D26_SOCK" info >/dev/null 2>&1 && break; sleep 1; done
  docker -H "unix://$D26_SOCK" version --format 'Docker {{.Server.Version}} (API {{.Server.APIVersion}}) on unix://'"$D26_SOCK" ||
    { tail -30 "$D26_RUN/dockerd.log"; exit 1; }
  if [ -n "$docker0" ] && ! ip link show docker0 >/dev/null 2>&1; then
    ip link add docker0 type bridge && ip addr add "$docker0" dev docker0 && ip link set docker0 up
    echo "put the system dockerd's docker0 ($docker0) back"
  fi
  ;;
docker26:stop)
  docker -H "unix://$D26_SOCK" ps -aq 2>/dev/null | xargs -r docker -H "unix://$D26_SOCK" rm -f >/dev/null 2>&1 || true
  [ -f "$D26_RUN/dockerd.pid" ] && kill "$(cat "$D26_RUN/dockerd.pid")" 2>/dev/null || true
  for _ in $(seq 1 30); do [ -S "$D26_SOCK" ] || break; sleep 0.5; done
  pkill -f "containerd --config $D26_RUN/containerd.toml" 2>/dev/null || true
  iptables -D FORWARD -s "$D26_POOL" -d "$D26_POOL" -j ACCEPT 2>/dev/null || true
  ;;
docker26:env)
  echo "DOCKER_HOST=unix://$D26_SOCK"
  ;;
podman:install)
  command -v podman >/dev/null || { apt-get update -qq; apt-get install -y -qq --no-install-recommends podman >/dev/null; }
  podman --version
  ;;
podman:start)
  # one service per socket: a second would take the socket over from the first, and stop ends both
  if curl -sf --unix-socket "$PODMAN_SOCK" http://d/version >/dev/null 2>&1; then echo "Podman API already on unix://$PODMAN_SOCK"; exit 0; fi
  mkdir -p "$(dirname "$PODMAN_SOCK")"
  # Podman raises a container's open-files and process limits above the machine's, which needs CAP_SYS_RESOURCE;
  # where that capability is missing (this sandbox) containers would not start: keep the machine's hard limits.
  # (podman itself runs with at most 32768 processes, and a container cannot get more than its conmon has)
  nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$(ulimit -Hn)" "$(ulimit -Hn)" "$nproc" "$nproc" \
    > "$(dirname "$PODMAN_SOCK")/containers.conf"
  export CONTAINERS_CONF="$(dirname "$PODMAN_SOCK")/containers.conf"
  (setsid podman system service --time=0 "unix://$PODMAN_SOCK" >/run/glasshouse-podman/service.log 2>&1 &)
  for _ in $(seq 1 50); do [ -S "$PODMAN_SOCK" ] && break; sleep 0.2; done
  curl -sf --unix-socket "$PODMAN_SOCK" http://d/version >/dev/null && echo "Podman API on unix://$PODMAN_SOCK"
  ;;
podman:stop)
  pkill -f "podman system service --time=0 unix://$PODMAN_SOCK" 2>/dev/null || true
  ;;
podman:env)
  echo "DOCKER_HOST=unix://$PODMAN_SOCK"
  ;;
*)
  echo "usage: engines.sh install|start|stop|env docker26|podman" >&2
  exit 2
  ;;
esac
