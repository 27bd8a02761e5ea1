#!/usr/bin/env bash
# Removes what scripts/install.sh added, as its record says: the binary, the systemd unit (the
# service stopped and disabled first), and the configuration only if it is still the default
# the install wrote (same checksum); an edited one is kept. The state directory
# (/var/lib/hyperward: events, keystore, evidence) is always kept.
#
#   HYPERWARD_INSTALL_ROOT=DIR    uninstall from DIR instead of / (as install.sh)
set -euo pipefail

say() { printf 'uninstall: %s\n' "$*"; }
die() { printf 'uninstall: %s\n' "$*" >&2; exit 1; }

root=${HYPERWARD_INSTALL_ROOT:-}
if [ -n "$root" ]; then
    [ -d "$root" ] || die "HYPERWARD_INSTALL_ROOT=$root is not a directory"
    root=$(cd "$root" && pwd)
    [ "$root" = / ] && root=
fi
[ -n "$root" ] || [ "$(id -u)" -eq 0 ] || die "run as root to uninstall from / (or set HYPERWARD_INSTALL_ROOT)"

unit_name=hyperward-agent.service
share=/usr/local/share/hyperward
record=$share/installed
state=/var/lib/hyperward

systemd_running=0
[ -z "$root" ] && [ -d /run/systemd/system ] && systemd_running=1

if [ ! -f "$root$record" ]; then
    say "no install record ($record): nothing installed by scripts/install.sh to remove"
    for path in /usr/local/bin/hyperward /usr/local/bin/hyperward-hook /etc/systemd/system/$unit_name; do
        if [ -e "$root$path" ]; then
            say "$path exists but install.sh did not record it: kept (remove it yourself if it is ours)"
        fi
    done
else
    if [ "$systemd_running" -eq 1 ] && systemctl cat "$unit_name" >/dev/null 2>&1; then
        if systemctl is-active --quiet "$unit_name"; then
            systemctl stop "$unit_name"
            say "stopped $unit_name"
        fi
        if systemctl is-enabled --quiet "$unit_name" 2>/dev/null; then
            systemctl disable --quiet "$unit_name"
            say "disabled $unit_name"
        fi
    fi
    # Enablement links left behind (systemd not running, or enabled by hand).
    if [ -d "$root/etc/systemd/system" ]; then
        while IFS= read -r link; do
            rm -f "$link"
            say "${link#"$root"} removed (the link enabling the service)"
        done < <(find "$root/etc/systemd/system" -mindepth 2 -maxdepth 2 -type l -name "$unit_name")
    fi

    while read -r kind path sum; do
        case "$kind" in
        file)
            if [ -e "$root$path" ] || [ -L "$root$path" ]; then
                rm -f "$root$path"
                say "$path removed"
            else
                say "$path already gone"
            fi
            ;;
        config)
            if [ ! -e "$root$path" ]; then
                say "$path already gone"
            elif [ -f "$root$path" ] && [ "$(sha256sum "$root$path" | cut -d' ' -f1)" = "$sum" ]; then
                rm -f "$root$path"
                say "$path removed (still the default install.sh wrote)"
            else
                say "$path kept: it changed since install.sh wrote it (your settings)"
            fi
            ;;
        esac
    done < <(grep -v '^#' "$root$record")
    if [ -d "$root/etc/systemd/system/$unit_name.d" ]; then
        say "/etc/systemd/system/$unit_name.d kept (drop-ins are yours, not install.sh's)"
    fi
    if grep -q '^directory ' "$root$record"; then
        directory=$(awk '$1 == "directory" { print $2 }' "$root$record")
        if [ -d "$root$directory" ] && rmdir "$root$directory" 2>/dev/null; then
            say "$directory removed (empty)"
        elif [ -d "$root$directory" ]; then
            say "$directory kept: it holds files install.sh did not write"
        fi
    fi
    rm -rf -- "$root$share"
    say "$share removed (the install record and the reference default configuration)"
fi

if [ "$systemd_running" -eq 1 ]; then
    systemctl daemon-reload
    say "systemd: daemon-reload done"
elif [ -z "$root" ]; then
    say "systemd is not running on this machine: no daemon-reload"
fi
if [ -d "$root$state" ]; then
    say "$state kept, always: it holds the state store and the keystore (delete it yourself once its keys are no longer needed)"
else
    say "$state: not present (nothing to keep)"
fi
