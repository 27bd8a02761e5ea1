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

import HyperwardCore

/// The host's local users and groups, from `/etc/passwd` and `/etc/group` (not NSS: an audit of a
/// mounted root must not consult the auditing machine's directory services).
public struct HostAccounts: Sendable, Hashable {
    /// One `/etc/passwd` line.
    public struct User: Sendable, Hashable {
        /// The login name.
        public var name: String
        /// The user id.
        public var uid: UInt32
        /// The primary group id.
        public var gid: UInt32
    }

    /// One `/etc/group` line.
    public struct Group: Sendable, Hashable {
        /// The group name.
        public var name: String
        /// The group id.
        public var gid: UInt32
        /// The supplementary members listed on the line (not users whose primary group this is).
        public var members: [String]
    }

    /// The users, in file order.
    public var users: [User]
    /// The groups, in file order.
    public var groups: [Group]

    /// The bound for each file: 4 MiB.
    public static let maxFileSize = 4 << 20

    /// Parses the text of `/etc/passwd` and `/etc/group`; malformed lines are skipped.
    public init(passwd: String, group: String) {
        var users: [User] = []
        for line in passwd.split(whereSeparator: { $0 == "\n" }) {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, !fields[0].isEmpty, !fields[0].hasPrefix("#"),
                  let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) else { continue }
            users.append(User(name: String(fields[0]), uid: uid, gid: gid))
        }
        var groups: [Group] = []
        for line in group.split(whereSeparator: { $0 == "\n" }) {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 4, !fields[0].isEmpty, !fields[0].hasPrefix("#"),
                  let gid = UInt32(fields[2]) else { continue }
            let members = fields[3].split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
            groups.append(Group(name: String(fields[0]), gid: gid, members: members))
        }
        self.users = users
        self.groups = groups
    }

    /// Reads `/etc/passwd` and `/etc/group` from `fs`; a missing or unreadable file counts as empty.
    public init(fs: any HostFileSystem) {
        let passwd = (try? fs.readText("/etc/passwd", limit: HostAccounts.maxFileSize)) ?? ""
        let group = (try? fs.readText("/etc/group", limit: HostAccounts.maxFileSize)) ?? ""
        self.init(passwd: passwd, group: group)
    }

    /// The first user with `uid`.
    public func user(uid: UInt32) -> User? { users.first { $0.uid == uid } }
    /// The user called `name`.
    public func user(named name: String) -> User? { users.first { $0.name == name } }
    /// The first group with `gid`.
    public func group(gid: UInt32) -> Group? { groups.first { $0.gid == gid } }
    /// The group called `name`.
    public func group(named name: String) -> Group? { groups.first { $0.name == name } }

    /// `uid` with its name, e.g. `64055 (libvirt-qemu)`, or the bare number if unknown.
    public func describe(uid: UInt32) -> String {
        user(uid: uid).map { "\(uid) (\($0.name))" } ?? "\(uid)"
    }

    /// `gid` with its name, e.g. `0 (root)`.
    public func describe(gid: UInt32) -> String {
        group(gid: gid).map { "\(gid) (\($0.name))" } ?? "\(gid)"
    }

    /// Everyone in `group`: its listed members plus users whose primary group it is, sorted, unique.
    public func members(of group: Group) -> [String] {
        let primary = users.filter { $0.gid == group.gid }.map(\.name)
        return Array(Set(group.members + primary)).sorted()
    }
}
