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

import AdmissionHook
import Foundation
import HyperwardCore
import Testing

@testable import HyperwardAgent

#if canImport(Glibc)
import Glibc
#endif

/// The break-glass file on disk: what makes it valid (a root-owned regular file nobody else can
/// write, `until` within the next 24 hours, a reason) and each way it is not.
@Suite("Break-glass file")
struct BreakGlassTests {
    let scratch = Scratch()
    let now = Date(timeIntervalSince1970: (Date().timeIntervalSince1970).rounded(.down))

    func time(_ offset: TimeInterval) -> String {
        ISO8601DateFormatter().string(from: now.addingTimeInterval(offset))
    }

    /// A break-glass file with `text`, mode 0600, owned by the test's user (root, or the user
    /// the suite runs as, both accepted).
    func file(_ text: String, name: String = "break-glass.yaml") -> String {
        let path = scratch.write(name, text)
        #expect(chmod(path, 0o600) == 0)
        return path
    }

    func refusal(_ path: String) -> HyperwardError? {
        do {
            let loaded = try BreakGlass.load(path, now: now)
            Issue.record("loaded \(String(describing: loaded)) from an invalid break-glass file")
            return nil
        } catch {
            #expect(error.code == .configuration)
            return error
        }
    }

    @Test func aValidFileAllowsWithItsReasonAndTime() throws {
        let path = file("until: \(time(3600))\nreason: \"store restored from backup (INC-4711)\"\n")
        let glass = try #require(try BreakGlass.load(path, now: now))
        #expect(glass.reason == "store restored from backup (INC-4711)")
        #expect(glass.until == now.addingTimeInterval(3600))
        #expect(glass.file == path)
    }

    @Test func fractionalSecondsAndTheLastMinuteOfTheDayAreAccepted() throws {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let until = now.addingTimeInterval(BreakGlass.maximumDuration - 60)
        let path = file("reason: maintenance\nuntil: \(fractional.string(from: until))\n")
        let glass = try #require(try BreakGlass.load(path, now: now))
        #expect(abs(glass.until.timeIntervalSince(until)) < 0.01)
    }

    @Test func aMissingFileIsNoBreakGlass() throws {
        #expect(try BreakGlass.load(scratch.path + "/absent.yaml", now: now) == nil)
    }

    @Test func anExpiredOneIsRefused() throws {
        let error = try #require(refusal(file("until: \(time(-60))\nreason: old\n")))
        #expect(error.message.contains("expired"), "\(error)")
        // The moment itself has passed too.
        #expect(refusal(file("until: \(time(0))\nreason: now\n", name: "edge.yaml")) != nil)
    }

    @Test func oneLastingPast24HoursIsRefused() throws {
        let error = try #require(refusal(file("until: \(time(BreakGlass.maximumDuration + 60))\nreason: long\n")))
        #expect(error.message.contains("24 hours"), "\(error)")
    }

    @Test(arguments: [0o620, 0o602, 0o666, 0o622])
    func oneWritableByGroupOrOthersIsRefused(mode: Int) throws {
        let path = file("until: \(time(3600))\nreason: r\n")
        #expect(chmod(path, mode_t(mode)) == 0)
        let error = try #require(refusal(path))
        #expect(error.message.contains("writable by others"), "\(error)")
    }

    @Test func aSymlinkToAValidFileIsRefused() throws {
        let target = file("until: \(time(3600))\nreason: r\n", name: "real.yaml")
        #expect(try BreakGlass.load(target, now: now) != nil, "the target itself is valid")
        let link = scratch.path + "/link.yaml"
        #expect(symlink(target, link) == 0)
        let error = try #require(refusal(link))
        #expect(error.message.contains("not a regular file"), "\(error)")
    }

    @Test func aDirectoryIsRefused() throws {
        let directory = scratch.path + "/dir.yaml"
        #expect(mkdir(directory, 0o700) == 0)
        let error = try #require(refusal(directory))
        #expect(error.message.contains("not a regular file"), "\(error)")
    }

    @Test(.enabled(if: geteuid() == 0, "chown needs root"))
    func oneOwnedByAnotherUserIsRefused() throws {
        let nobody = try #require(getpwnam("nobody"), "no nobody account").pointee.pw_uid
        let path = file("until: \(time(3600))\nreason: r\n")
        #expect(chown(path, nobody, gid_t(UInt32.max)) == 0)
        let error = try #require(refusal(path))
        #expect(error.message.contains("owned by uid \(nobody)"), "\(error)")
    }

    @Test(arguments: ["until: TIME\n", "reason: r\n", "reason: \"   \"\nuntil: TIME\n", "{}\n"])
    func oneWithoutAReasonOrATimeIsRefused(text: String) throws {
        let error = try #require(refusal(file(text.replacingOccurrences(of: "TIME", with: time(3600)))))
        #expect(error.message.contains("until") || error.message.contains("reason"), "\(error)")
    }

    @Test func anEmptyFileIsRefused() throws {
        #expect(refusal(file("")) != nil)
    }

    @Test func anUnknownKeyIsRefusedWithItsPlace() throws {
        let path = file("until: \(time(3600))\nreason: r\nscope: all\n")
        let error = try #require(refusal(path))
        #expect(error.message.contains("scope"), "\(error)")
        #expect(error.location?.file == path && error.location?.line == 3, "\(error)")
    }

    @Test(arguments: ["tomorrow", "2026-13-01T00:00:00Z", "1735689600", "2026-01-01 00:00:00"])
    func aMalformedTimeIsRefused(until: String) throws {
        let error = try #require(refusal(file("until: \"\(until)\"\nreason: r\n")))
        #expect(error.message.contains("until must be a time"), "\(error)")
    }

    @Test func aNonStringValueIsRefused() throws {
        #expect(refusal(file("until: \(time(3600))\nreason: [a, b]\n")) != nil)
    }

    @Test func anOversizedFileIsRefused() throws {
        let padding = "# " + String(repeating: "x", count: 4200) + "\n"
        let error = try #require(refusal(file("until: \(time(3600))\nreason: r\n" + padding)))
        #expect(error.message.contains("4096"), "\(error)")
    }
}
