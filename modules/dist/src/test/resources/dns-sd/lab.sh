#!/bin/sh
# A private network for DNS-SD tests, started by root as
#   unshare --mount --net --uts --propagation private sh lab.sh DIR HOSTNAME
# Inside the new namespaces: the host name HOSTNAME, the loopback interface up with multicast, and a /run
# of its own with a system D-Bus and an avahi-daemon that uses `lo` only, as the stock client and the
# reference stap-serverd expect them. Nothing reaches the host's network, its /run, or its daemons.
# Prints "ready PID" (the process to nsenter into), then stays until its standard input closes, then stops
# the two daemons it started; the namespaces end with the last process in them.
set -eu
dir=$1
name=$2

hostname "$name"
ip link set lo up multicast on
# --no-mtab: mount would otherwise create its lock directory /run/mount in the host's /run first.
mount --no-mtab -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/dbus /run/avahi-daemon /run/lock
chmod 1777 /run/lock

# Only IPv4 records: an AAAA ::1 for an IPv4 browse turns into address=0.0.0.0 in the stock client.
cat > "$dir/avahi-daemon.conf" <<CONF
[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[publish]
publish-aaaa-on-ipv4=no
publish-hinfo=no
publish-workstation=no
CONF

stop() {
  avahi-daemon --kill 2>/dev/null || true
  [ -f /run/dbus/pid ] && kill "$(cat /run/dbus/pid)" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 143' TERM INT HUP

dbus-daemon --system --fork
avahi-daemon --file="$dir/avahi-daemon.conf" --no-drop-root --no-chroot --daemonize
# The stock client finds no servers while avahi is still probing its own host name.
tries=0
until avahi-daemon --check 2>/dev/null && [ -S /run/avahi-daemon/socket ]; do
  tries=$((tries + 1))
  [ $tries -le 100 ] || { echo "avahi-daemon did not start" >&2; exit 1; }
  sleep 0.1
done
echo "ready $$"
cat > /dev/null
