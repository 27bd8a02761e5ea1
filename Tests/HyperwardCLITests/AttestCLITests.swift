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


import FixtureSupport
import Foundation
import HyperwardHost
import Testing

/// `hyperward attest log` through the built binary, on every real log of the corpus: its YAML
/// `pcrs:` section equals tpm2-tools 5.8's expected decode, and equals what the installed
/// `tpm2_eventlog` prints; a malformed log exits 65 with the events before the problem.
@Suite("hyperward attest log", .serialized, .needsFixtures("eventlogs"))
struct AttestCLITests {
    static let tpm2Folder = "eventlogs/tpm2-tools"
    static let goFolder = "eventlogs/go-eventlog"

    /// Every `.bin` log of the two folders, as (folder, name).
    static var logs: [String] {
        [tpm2Folder, goFolder].flatMap { folder -> [String] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.root.appendingPathComponent(folder).path)) ?? []
            return names.filter { $0.hasSuffix(".bin") }.sorted().map { folder + "/" + $0 }
        }
    }

    /// The logs whose framing is broken on purpose, with the exit status that follows:
    /// `specid-vendordata.bin` states vendor info past its Spec ID event (see TPMEventLogTests).
    static let expectedStatus: [String: Int32] = ["specid-vendordata.bin": 65]

    /// The `pcrs:` section of a YAML decode, verbatim: from the `pcrs:` line to the next
    /// top-level key or the end.
    static func pcrsSection(_ yaml: String) -> [String] {
        var lines: [String] = []
        var inSection = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "pcrs:" { inSection = true; lines.append(String(line)); continue }
            guard inSection else { continue }
            if line.isEmpty { continue }
            if !line.hasPrefix(" ") { break }
            lines.append(String(line))
        }
        return lines
    }

    /// `tpm2_eventlog` from PATH: Debian's tpm2-tools (scripts/install-deps.sh --test installs it).
    static var tpm2EventlogPath: String? {
        ["/usr/bin/tpm2_eventlog", "/usr/local/bin/tpm2_eventlog"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func findsTheLogs() {
        #expect(Self.logs.count >= 11)
    }

    @Test(arguments: logs)
    func pcrsEqualTpm2Tools58(_ relative: String) throws {
        let name = String(relative.split(separator: "/").last ?? "")
        let folder = String(relative.dropLast(name.count + 1))
        let path = try Fixtures.file(name, in: folder).path
        let result = try CLI.run(["attest", "log", path, "--format", "yaml"])
        #expect(result.status == (Self.expectedStatus[name] ?? 0), "\(name): \(result.stderr)")
        let ours = Self.pcrsSection(result.stdout)
        #expect(ours.first == "pcrs:")
        if folder == Self.tpm2Folder {
            let expected = try String(contentsOf: try Fixtures.file("expected/\(name).yaml", in: folder), encoding: .utf8)
            #expect(ours == Self.pcrsSection(expected), "\(name): pcrs differ from tpm2-tools 5.8")
        } else {
            // go-eventlog's logs have no 5.8 decode; expected_pcrs.json is their oracle (below).
            #expect(ours.count > 2)
        }
    }

    /// go-eventlog's asserted PCRs appear in our pcrs section.
    @Test func goEventlogPCRsAppear() throws {
        let json = try Data(contentsOf: try Fixtures.file("expected_pcrs.json", in: Self.goFolder))
        let all = try JSONDecoder().decode([String: [String: [String: String]]].self, from: json)
        var compared = 0
        for (key, banks) in all {
            let name = String(key.split(separator: "/").last ?? "")
            let result = try CLI.run(["attest", "log", try Fixtures.file(name, in: Self.goFolder).path, "--format", "json"])
            #expect(result.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            let pcrs = object?["pcrs"] as? [String: [String: String]]
            for (bank, values) in banks {
                for (pcr, value) in values {
                    #expect(pcrs?[bank]?[pcr] == value, "\(name) \(bank) PCR \(pcr)")
                    compared += 1
                }
            }
        }
        #expect(compared >= 8)
    }

    /// The installed tpm2_eventlog (Debian's 5.4) is a second oracle for every log it can parse.
    /// 5.4 predates StartupLocality (added in 5.6): on a log that carries that event its PCR 0 is
    /// not comparable and is left out (none of the corpus logs carries one today; the check stays
    /// for the logs that will).
    @Test func pcrsEqualTheInstalledTpm2Eventlog() throws {
        let tool = try #require(Self.tpm2EventlogPath, "tpm2_eventlog is not installed (apt-get install tpm2-tools; scripts/install-deps.sh --test)")
        var compared: [String] = []
        var unparsed: [String] = []
        for relative in Self.logs {
            let name = String(relative.split(separator: "/").last ?? "")
            let path = try Fixtures.file(name, in: String(relative.dropLast(name.count + 1))).path
            let oracle = HostCommand.run([tool, path], outputLimit: 64 << 20)
            guard oracle.status == 0, oracle.stdout.contains("\npcrs:") else {
                unparsed.append(name)
                continue
            }
            let result = try CLI.run(["attest", "log", path, "--format", "yaml"])
            var ours = Self.pcrsSection(result.stdout)
            var theirs = Self.pcrsSection(oracle.stdout)
            if result.stdout.contains("StartupLocality:") {
                ours.removeAll { $0.hasPrefix("    0  :") }
                theirs.removeAll { $0.hasPrefix("    0  :") }
            }
            #expect(ours == theirs, "\(name): pcrs differ from the installed tpm2_eventlog")
            compared.append(name)
        }
        // Named in the test output, so a log 5.4 cannot read is seen, not silently dropped.
        if !unparsed.isEmpty { print("tpm2_eventlog could not parse (not compared): \(unparsed.joined(separator: ", "))") }
        #expect(compared.count >= 9, "compared \(compared), tpm2_eventlog failed on \(unparsed)")
    }

    /// The decoded image paths are the ones tpm2-tools 5.8 prints.
    @Test func devicePathsMatchTpm2Tools58() throws {
        var compared = 0
        for name in ["event-bootorder.bin", "event-gce-ubuntu-2104-log.bin", "event-uefiservices.bin", "event-sd-boot-fedora37.bin"] {
            let expected = try String(contentsOf: try Fixtures.file("expected/\(name).yaml", in: Self.tpm2Folder), encoding: .utf8)
            let result = try CLI.run(["attest", "log", try Fixtures.file(name, in: Self.tpm2Folder).path, "--format", "yaml"])
            // Image load events' paths are at four spaces in both (a variable's load option is deeper).
            func paths(_ yaml: String) -> [String] {
                yaml.split(separator: "\n").filter { $0.hasPrefix("    DevicePath: ") }.map { String($0) }
            }
            #expect(paths(result.stdout) == paths(expected), "\(name)")
            compared += paths(expected).count
        }
        #expect(compared >= 7)
    }

    @Test func truncatedLogExits65WithTheEventsBefore() throws {
        let scratch = Scratch()
        let bytes = try Data(contentsOf: try Fixtures.file("event-sd-boot-fedora37.bin", in: Self.tpm2Folder))
        let cut = scratch.path + "/cut.bin"
        _ = FileManager.default.createFile(atPath: cut, contents: bytes.prefix(bytes.count - 7))
        for format in ["text", "json", "yaml"] {
            let result = try CLI.run(["attest", "log", cut, "--format", format])
            #expect(result.status == 65, "\(format)")
            #expect(result.stderr.contains("but only") || result.stderr.contains("ends inside"), "\(result.stderr)")
            #expect(result.stderr.contains("cut.bin"))
            #expect(!result.stdout.isEmpty)
        }
        let json = try CLI.run(["attest", "log", cut, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["events"] as? [Any])?.count ?? 0 > 10)
        #expect(object?["problem"] as? String != nil)
    }

    @Test func missingFileExits66AndDirectoryIsRefused() throws {
        let scratch = Scratch()
        let missing = try CLI.run(["attest", "log", scratch.path + "/absent.bin"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains("absent.bin"))
        let directory = try CLI.run(["attest", "log", scratch.path])
        #expect(directory.status == 66)
        let garbage = scratch.write("garbage.bin", "\u{1b}[31mnot a log")
        let result = try CLI.run(["attest", "log", garbage])
        #expect(result.status == 65)
        #expect(!result.stdout.contains("\u{1b}"))
    }

    @Test func textAndIMA() throws {
        let path = try Fixtures.file("event-bootorder.bin", in: Self.tpm2Folder).path
        let ima = try Fixtures.file("keylime-ima-log-sha256.binary_runtime_measurements", in: "eventlogs/ima").path
        let text = try CLI.run(["attest", "log", path, "--ima", ima])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("File(\\EFI\\BOOT\\BOOTX64.EFI)"))
        #expect(text.stdout.contains("EV_EFI_GPT_EVENT"))
        // The README's evmctl value for this IMA log's sha256 bank.
        #expect(text.stdout.contains("8dcd5e7eb63e363377ec19b0d358601ccc19f25a30486f35784c5288dbb91d9d"))
        let json = try CLI.run(["attest", "log", path, "--format", "json", "--ima", ima])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let pcr10 = (object?["ima"] as? [String: Any])?["pcr10"] as? [String: String]
        #expect(pcr10?["sha1"] == "8adcb4304b78ee782bbba3733b191591e75dc83d")
    }
}
