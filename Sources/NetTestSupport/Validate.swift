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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks of values that end up on a command line, so a typo fails loudly in Swift rather than as
/// a confusing script error.
enum Validate {
    /// Returns `mac` lowercased if it is six colon-separated hex octets.
    static func mac(_ mac: String) throws -> String {
        let parts = mac.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else {
            throw HyperwardError(.invalidInput, "\(mac.debugDescription) is not a MAC address (expected six hex octets like 52:54:00:77:00:11)")
        }
        return mac.lowercased()
    }

    /// Returns `address` if it parses as a dotted-quad IPv4 address.
    static func ipv4(_ address: String) throws -> String {
        var buffer = in_addr()
        guard inet_pton(AF_INET, address, &buffer) == 1 else {
            throw HyperwardError(.invalidInput, "\(address.debugDescription) is not an IPv4 address")
        }
        return address
    }

    /// Returns `address` if it parses as an IPv6 address.
    static func ipv6(_ address: String) throws -> String {
        var buffer = in6_addr()
        guard inet_pton(AF_INET6, address, &buffer) == 1 else {
            throw HyperwardError(.invalidInput, "\(address.debugDescription) is not an IPv6 address")
        }
        return address
    }

    /// Returns `address` if it is an IPv4 or IPv6 address.
    static func ip(_ address: String) throws -> String {
        address.contains(":") ? try ipv6(address) : try ipv4(address)
    }

    /// Returns `port` if it is in 1...65535.
    static func port(_ port: Int) throws -> Int {
        guard (1...65535).contains(port) else {
            throw HyperwardError(.invalidInput, "port \(port) is out of range 1...65535")
        }
        return port
    }
}
