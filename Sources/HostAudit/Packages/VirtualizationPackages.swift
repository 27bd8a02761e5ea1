//===----------------------------------------------------------------------===//
//
// This source file is part of the Hyperward open source project
//
// Copyright (c) 2026 the Hyperward project authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//


/// The source packages of the virtualization stack that advisories are matched against by default
/// (`AuditContext.matchAllPackages` matches every installed package instead). `docs/packages-feeds.md` lists them.
public enum VirtualizationPackages {
    /// Source package names, Debian and RPM spellings, grouped by role.
    public static let sources: Set<String> = [
        // Hypervisors and VMMs.
        "qemu", "qemu-kvm", "xen", "kvmtool", "firecracker", "cloud-hypervisor", "crosvm",
        "virtualbox",
        // The kernel (KVM, vhost, VFIO live in it) and the CPU microcode that isolation relies on.
        "linux", "kernel", "intel-microcode", "amd64-microcode", "microcode_ctl", "linux-firmware",
        // Guest firmware and boot ROMs.
        "edk2", "seabios", "ipxe", "slof", "opensbi",
        // Virtual TPM.
        "swtpm", "libtpms",
        // Device back ends reachable from the guest.
        "libslirp", "spice", "virglrenderer", "usbredir", "libcacard", "virtiofsd", "rust-virtiofsd",
        "libiscsi", "libnbd", "nbdkit",
        // Management plane and host networking for guests.
        "libvirt", "libguestfs", "dnsmasq", "openvswitch",
        // Guest-side tools commonly installed on hosts that are themselves guests.
        "open-vm-tools",
    ]

    /// The source name and version an installed package is matched under.
    ///
    /// Debian builds signed kernel images from `linux-signed-<arch>` source packages whose version
    /// (`6.1.119+1`) is not comparable with the `linux` versions advisories name (`6.1.119-1`);
    /// the image's own binary version is the `linux` version, so those are matched as `linux`.
    public static func matchingSource(of package: InstalledPackage) -> (name: String, version: DebianVersion) {
        if package.sourceName.hasPrefix("linux-signed") {
            return ("linux", package.version)
        }
        return (package.sourceName, package.sourceVersion)
    }

    /// Whether advisories for `source` are matched by default.
    public static func contains(_ source: String) -> Bool {
        sources.contains(source) || source.hasPrefix("linux-signed")
    }
}
