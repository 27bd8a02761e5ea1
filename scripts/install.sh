#!/usr/bin/env bash
# Installs Hyperward as a service:
#   /usr/local/bin/hyperward                         the binary (built in release first if needed)
#   /usr/local/bin/hyperward-hook                    the libvirt admission hook's program (docs/governance.md)
#   /etc/hyperward/hyperward.yaml                    a default configuration, never over an existing one
#   /etc/systemd/system/hyperward-agent.service      the hardened unit (docs/install.md)
#   /usr/local/share/hyperward/                      the record scripts/uninstall.sh reads, and the
#                                                    default configuration for reference
# Running it again changes nothing that is already in place. It does not enable or start the
# service, and never touches /var/lib/hyperward (the state directory systemd creates).
#
#   HYPERWARD_INSTALL_ROOT=DIR    install under DIR instead of / (packaging, tests)
#   HYPERWARD_INSTALL_BINARY=FILE install this binary instead of .build/release/hyperward
set -euo pipefail
umask 022
cd "$(dirname "$0")/.."

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

root=${HYPERWARD_INSTALL_ROOT:-}
if [ -n "$root" ]; then
    [ -d "$root" ] || die "HYPERWARD_INSTALL_ROOT=$root is not a directory"
    root=$(cd "$root" && pwd)
    [ "$root" = / ] && root=
fi
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1
[ -n "$root" ] || [ "$is_root" -eq 1 ] || die "run as root to install to / (or set HYPERWARD_INSTALL_ROOT)"

bin=/usr/local/bin/hyperward
config_dir=/etc/hyperward
config=$config_dir/hyperward.yaml
unit=/etc/systemd/system/hyperward-agent.service
share=/usr/local/share/hyperward
record=$share/installed
default_config=$share/hyperward.yaml.default

# Temporary files are made next to their destination (so the final rename is atomic) and
# removed if anything fails half-way.
temporaries=()
cleanup() { [ ${#temporaries[@]} -eq 0 ] || rm -f "${temporaries[@]}"; }
trap cleanup EXIT

# The binary: the one named, or the release build, rebuilt when a source is newer than it.
if [ -n "${HYPERWARD_INSTALL_BINARY:-}" ]; then
    source_binary=$HYPERWARD_INSTALL_BINARY
    [ -x "$source_binary" ] || die "HYPERWARD_INSTALL_BINARY=$source_binary is not an executable file"
else
    source_binary=.build/release/hyperward
    if [ ! -x "$source_binary" ] || [ ! -x .build/release/hyperward-hook ] \
        || [ -n "$(find Sources Package.swift Package.resolved -newer "$source_binary" -print -quit 2>/dev/null)" ]; then
        say "building hyperward (release): swift build -c release --product hyperward; the same for hyperward-hook"
        bash scripts/install-deps.sh
        log=$(mktemp)
        temporaries+=("$log")
        # The hook's program with the Swift runtime linked in: libvirt waits for it on every start.
        if ! { swift build -c release --product hyperward && swift build -c release --static-swift-stdlib --product hyperward-hook; } >"$log" 2>&1; then
            grep -vE '^\[[0-9]+/[0-9]+\]' "$log" | tail -n 40 >&2
            die "the release build failed; nothing installed"
        fi
    fi
    [ -x "$source_binary" ] || die "no $source_binary after building"
fi

# put SOURCE DEST MODE WHAT: DEST becomes a root-owned copy of SOURCE with MODE, replaced in
# one rename; an identical DEST is left alone.
put() {
    local source=$1 dest=$root$2 mode=$3 what=$4
    mkdir -p "$(dirname "$dest")"
    if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$source" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ] \
        && { [ "$is_root" -eq 0 ] || [ "$(stat -c %u:%g "$dest")" = 0:0 ]; }; then
        say "$2 unchanged ($what)"
        return
    fi
    local verb=installed
    [ -e "$dest" ] && verb=updated
    local temporary
    temporary=$(mktemp "$(dirname "$dest")/.hyperward-install.XXXXXX")
    temporaries+=("$temporary")
    cp "$source" "$temporary"
    chmod "$mode" "$temporary"
    [ "$is_root" -eq 0 ] || chown 0:0 "$temporary"
    mv -f "$temporary" "$dest"
    say "$2 $verb ($what, $mode root:root)"
}

checksum() { sha256sum "$1" | cut -d' ' -f1; }

# What an earlier run recorded: whether it created the configuration (and its checksum then)
# and the configuration directory. Those facts stay true for later runs.
recorded_config=
created_config_dir=0
if [ -f "$root$record" ]; then
    recorded_config=$(awk '$1 == "config" { print $3 }' "$root$record")
    grep -qx "directory $config_dir" "$root$record" && created_config_dir=1
fi

put "$source_binary" "$bin" 0755 "the hyperward binary"
# The libvirt hook's program (`hyperward admit install-hook` uses it when it is beside hyperward).
hook_binary=$(dirname "$source_binary")/hyperward-hook
if [ -x "$hook_binary" ]; then
    put "$hook_binary" "$bin-hook" 0755 "the admission hook program"
fi
put packaging/hyperward-agent.service "$unit" 0644 "the systemd unit"
put packaging/hyperward.yaml "$default_config" 0644 "the default configuration, for reference"

if [ ! -d "$root$config_dir" ]; then
    mkdir -p "$root$config_dir"
    chmod 0755 "$root$config_dir"
    [ "$is_root" -eq 0 ] || chown 0:0 "$root$config_dir"
    created_config_dir=1
    say "$config_dir created (0755 root:root)"
fi
if [ -e "$root$config" ] || [ -L "$root$config" ]; then
    if [ -n "$recorded_config" ] && [ -f "$root$config" ] && [ "$(checksum "$root$config")" = "$recorded_config" ]; then
        say "$config unchanged (the default this script installed)"
    else
        say "$config exists: kept as it is (the current default is $default_config)"
    fi
else
    put packaging/hyperward.yaml "$config" 0644 "the default configuration"
    recorded_config=$(checksum "$root$config")
fi

# The record uninstall.sh reads. Rewritten only when it changes, so a second run is a no-op.
new_record=$(mktemp)
temporaries+=("$new_record")
{
    echo "# Written by scripts/install.sh, read by scripts/uninstall.sh: what the install added."
    echo "file $bin"
    [ ! -x "$hook_binary" ] || echo "file $bin-hook"
    echo "file $unit"
    [ -z "$recorded_config" ] || echo "config $config $recorded_config"
    [ "$created_config_dir" -eq 0 ] || echo "directory $config_dir"
} >"$new_record"
put "$new_record" "$record" 0644 "the install record"

if [ -n "$root" ]; then
    say "installed under $root: systemd not asked to reload"
elif [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    say "systemd: daemon-reload done"
    if systemctl is-active --quiet hyperward-agent.service; then
        say "hyperward-agent is running: systemctl restart hyperward-agent to run what was installed"
    fi
else
    say "systemd is not running on this machine (PID 1 is $(cat /proc/1/comm 2>/dev/null || echo unknown)): no daemon-reload; the unit is read when systemd starts"
fi
if [ -z "$root" ] && [ ! -d /proc/sys/net/bridge ]; then
    say "note: br_netfilter is not loaded; a network policy needs it (echo br_netfilter > /etc/modules-load.d/br_netfilter.conf; modprobe br_netfilter)"
fi
say "next: review $config, then: systemctl enable --now hyperward-agent (docs/install.md)"
