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

import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Who runs a command: the user (and groups) roles are checked against and events name as the
/// actor. Under `sudo` that is the user who ran sudo (`SUDO_USER`, trusted only when the real
/// user is root, since root could claim any name anyway); otherwise the real user.
public struct Caller: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    public var uid: UInt32
    public var groups: [String]
    /// Set when the command runs as root through sudo: the account that ran sudo.
    public var viaSudo: Bool

    public init(user: String, uid: UInt32, groups: [String], viaSudo: Bool = false) {
        self.user = user
        self.uid = uid
        self.groups = groups
        self.viaSudo = viaSudo
    }

    public var description: String { viaSudo ? "\(user) (via sudo)" : user }

    /// The calling user of this process.
    public static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> Caller {
        let uid = getuid()
        if uid == 0, let sudoUser = environment["SUDO_USER"], !sudoUser.isEmpty, sudoUser != "root",
           let entry = passwordEntry(name: sudoUser) {
            return Caller(user: sudoUser, uid: entry.uid, groups: groupNames(user: sudoUser, gid: entry.gid), viaSudo: true)
        }
        let name = passwordEntry(uid: uid)?.name ?? "uid:\(uid)"
        return Caller(user: name, uid: uid, groups: groupNames(user: name, gid: getgid()))
    }

    /// The caller of a libvirt hook: the daemon's user, by uid alone (no group lookups, which can
    /// load name-service modules and ask other daemons while libvirt waits).
    public static func hook() -> Caller {
        let uid = getuid()
        return Caller(user: uid == 0 ? "root" : (passwordEntry(uid: uid)?.name ?? "uid:\(uid)"), uid: uid, groups: [])
    }

    static func passwordEntry(name: String) -> (uid: UInt32, gid: UInt32)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid)
    }

    static func passwordEntry(uid: uid_t) -> (name: String, gid: UInt32)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return nil }
        return (String(cString: name), entry.pw_gid)
    }

    /// The names of the groups `user` belongs to (primary group first).
    static func groupNames(user: String, gid: gid_t) -> [String] {
        var count: Int32 = 64
        var gids = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user, gid, &gids, &count) < 0 {
            gids = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(user, gid, &gids, &count) >= 0 else { return [] }
        }
        var names: [String] = []
        var buffer = [CChar](repeating: 0, count: 16_384)
        for id in gids.prefix(Int(count)) {
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            if getgrgid_r(id, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name {
                let s = String(cString: name)
                if !names.contains(s) { names.append(s) }
            }
        }
        return names
    }
}

/// The system log (syslog, facility authpriv): where a decision that must be kept even when the
/// state store cannot be written (a break-glass start) is also reported.
public enum SystemLog {
    public static func warning(_ message: String) {
        openlog("hyperward", LOG_PID, LOG_AUTHPRIV)
        message.withCString { text in withVaList([text]) { vsyslog(LOG_WARNING, "%s", $0) } }
        closelog()
    }
}
