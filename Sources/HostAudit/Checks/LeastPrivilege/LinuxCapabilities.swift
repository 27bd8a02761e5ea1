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

/// Linux capability names by bit number, as `include/uapi/linux/capability.h` defines them.
public enum LinuxCapabilities {
    /// Names for bits 0…40 (`CAP_CHECKPOINT_RESTORE`, Linux 5.9, is the last one defined).
    public static let names: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
        "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
        "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
        "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
        "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
        "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
        "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    /// Capabilities that alone amount to full control of the host: a process holding one of them
    /// can load modules, write raw memory or devices, or escape any namespace.
    public static let hostEquivalent: Set<String> = [
        "CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_BPF",
    ]

    /// The names of the bits set in `mask`, lowest first; unnamed bits as `cap_N` (capsh's spelling).
    public static func decode(_ mask: UInt64) -> [String] {
        (0..<64).compactMap { bit -> String? in
            guard mask & (1 << UInt64(bit)) != 0 else { return nil }
            return bit < names.count ? names[bit] : "cap_\(bit)"
        }
    }
}
