# shellcheck shell=bash
# Test hosts on one machine (sourced, not run; scripts/multihost-test.sh uses it): network
# namespaces, each joined by a veth pair to a Linux bridge in the root namespace, and nftables
# rules inside one namespace that cut it off from chosen TCP endpoints and heal it again.
#
# Needs root, iproute2 (`ip`, `ss`) and nftables (`nft`, Debian's package is installed when
# absent, as lk_nginx_ensure_installed does for nginx). Sourced after scripts/lib/latchkey.sh
# (lk_log, lk_die). Every name is chosen by the caller, so lk_net_destroy removes exactly what
# was made: processes left inside the namespaces, the namespaces (their veth ends and rules go
# with them) and the bridge. Nothing here touches the root namespace's firewall or sysctls:
# the hosts and the bridge are one layer-2 segment, so no forwarding is needed.

# lk_net_require: root, ip, ss and nft (nftables installed with apt when missing)
lk_net_require() {
  [ "$(id -u)" -eq 0 ] || lk_die "needs root (network namespaces, a bridge, nftables rules)"
  command -v ip >/dev/null || lk_die "ip not found (Debian: apt-get install iproute2)"
  command -v ss >/dev/null || lk_die "ss not found (Debian: apt-get install iproute2)"
  if ! command -v nft >/dev/null; then
    lk_log "nft not found; installing Debian's nftables package"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables >/dev/null \
      || lk_die "could not install nftables"
    command -v nft >/dev/null || lk_die "nft still not found after the install"
  fi
}

# lk_net_bridge_create <bridge> <address/len>: the bridge, with the root namespace's address on it
lk_net_bridge_create() {
  ip link add "$1" type bridge || lk_die "could not create the bridge $1"
  ip addr add "$2" dev "$1" || lk_die "could not give the bridge $1 the address $2"
  ip link set "$1" up || lk_die "could not bring the bridge $1 up"
}

# lk_net_host_add <namespace> <bridge> <address/len>: a namespace whose eth0 is one end of a veth
# pair; the other end (named like the namespace, so at most 15 characters) is a port of the bridge
lk_net_host_add() {
  local ns="$1" bridge="$2" address="$3"
  ip netns add "$ns" || lk_die "could not create the network namespace $ns"
  ip link add "$ns" type veth peer name eth0 netns "$ns" || lk_die "could not create the veth pair of $ns"
  ip link set "$ns" master "$bridge" up || lk_die "could not attach $ns to the bridge $bridge"
  ip -n "$ns" addr add "$address" dev eth0 || lk_die "could not give $ns the address $address"
  ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up || lk_die "could not bring up the links of $ns"
}

# lk_net_listening <namespace> <pid> <host address>: the TCP endpoints (address:port, one a line)
# the process <pid> listens on inside the namespace; a wildcard address (0.0.0.0, ::) is printed
# as <host address>, the one peers reach it on
lk_net_listening() {
  local ns="$1" pid="$2" host="$3" local_address address port
  ip netns exec "$ns" ss -Hltnp 2>/dev/null | grep -F "pid=$pid," | awk '{print $4}' | while read -r local_address; do
    port="${local_address##*:}"
    address="${local_address%:*}"
    address="${address#[}"; address="${address%]}"; address="${address#::ffff:}"
    case "$address" in '*' | 0.0.0.0 | :: | '') address="$host" ;; esac
    echo "$address:$port"
  done | sort -u
}

# lk_net_cut <namespace> <address:port>...: inside the namespace, drops every TCP packet on eth0
# to or from one of these endpoints (both directions, new and established connections): the
# host no longer reaches them and they no longer reach it, while every other port (HTTP,
# PostgreSQL) still works. One nftables table, lk_cut, which lk_net_heal deletes.
lk_net_cut() {
  local ns="$1" endpoint elements=""
  shift
  [ "$#" -gt 0 ] || lk_die "lk_net_cut $ns: no endpoint given"
  for endpoint in "$@"; do elements="${elements:+$elements, }${endpoint%:*} . ${endpoint##*:}"; done
  ip netns exec "$ns" nft -f - <<EOF || lk_die "nft refused the cut rules for $ns"
table inet lk_cut {
  set endpoints {
    type ipv4_addr . inet_service
    elements = { $elements }
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "eth0" ip saddr . tcp sport @endpoints counter drop
    iifname "eth0" ip daddr . tcp dport @endpoints counter drop
  }
  chain output {
    type filter hook output priority filter; policy accept;
    oifname "eth0" ip daddr . tcp dport @endpoints counter drop
    oifname "eth0" ip saddr . tcp sport @endpoints counter drop
  }
}
EOF
}

# lk_net_cut_drops <namespace>: packets the cut has dropped so far (sum of the rule counters; 0 without a cut)
lk_net_cut_drops() {
  ip netns exec "$1" nft list table inet lk_cut 2>/dev/null | grep -oE 'packets [0-9]+' | awk '{s += $2} END {print s + 0}'
}

# lk_net_heal <namespace>: removes the cut (idempotent)
lk_net_heal() {
  ip netns exec "$1" nft list table inet lk_cut >/dev/null 2>&1 || return 0
  ip netns exec "$1" nft delete table inet lk_cut || lk_die "could not delete the cut rules of $1"
}

# lk_net_ns_pids <namespace>: the processes inside the namespace (none when it does not exist)
lk_net_ns_pids() { ip netns pids "$1" 2>/dev/null || true; }

# lk_net_destroy <bridge> <namespace>...: SIGKILL to whatever still runs inside the namespaces
# (the caller stops its processes gracefully first), then deletes the namespaces (their veth
# pairs and nftables rules go with them) and the bridge. Idempotent; never fails.
lk_net_destroy() {
  local bridge="$1" ns pid waited
  shift
  for ns in "$@"; do
    ip netns list 2>/dev/null | grep -qE "^$ns( |$)" || continue
    for pid in $(lk_net_ns_pids "$ns"); do kill -KILL "$pid" 2>/dev/null || true; done
    waited=0
    while [ -n "$(lk_net_ns_pids "$ns")" ] && [ "$waited" -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
    ip netns del "$ns" 2>/dev/null || lk_log "could not delete the network namespace $ns"
  done
  for ns in "$@"; do ip link del "$ns" 2>/dev/null || true; done   # a veth end left by a half-made host
  if ip link show "$bridge" >/dev/null 2>&1; then
    ip link del "$bridge" 2>/dev/null || lk_log "could not delete the bridge $bridge"
  fi
}
