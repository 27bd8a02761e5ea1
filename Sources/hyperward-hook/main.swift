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

// `hyperward-hook [--config FILE] [--state-dir DIR] [--] NAME OPERATION SUB-OPERATION EXTRA`:
// the program libvirt's QEMU hook script runs (installed by `hyperward admit install-hook`). It
// is `hyperward admit hook` without the rest of Hyperward: no libvirt and no command-line parser
// are loaded, so a start waits for as little as possible. Exit 0 lets the start go on; 1 refuses
// it, with the reasons on standard error (libvirt shows them in its error); 64 is a usage error.

import AdmissionHook
import Foundation
import HyperwardCore
import HyperwardHost

#if canImport(Glibc)
import Glibc
#endif

signal(SIGPIPE, SIG_IGN)
var arguments = Array(CommandLine.arguments.dropFirst())
var configurationPath: String?
var stateDirectory: String?
while let first = arguments.first, first.hasPrefix("--") {
    arguments.removeFirst()
    if first == "--" { break }
    guard first == "--config" || first == "--state-dir", let value = arguments.first, !value.isEmpty else {
        FileHandle.standardError.write(Data("hyperward-hook: usage: hyperward-hook [--config FILE] [--state-dir DIR] [--] NAME OPERATION SUB-OPERATION EXTRA\n".utf8))
        exit(AdmissionGate.refusedStatus)
    }
    arguments.removeFirst()
    if first == "--config" { configurationPath = value } else { stateDirectory = value }
}

let invocation: LibvirtHook.Invocation
do {
    invocation = try LibvirtHook.Invocation(arguments: arguments)
} catch {
    FileHandle.standardError.write(Data("hyperward-hook: \(error.message)\n".utf8))
    exit(AdmissionGate.refusedStatus)
}
// Read before deciding: libvirt writes the whole XML and would otherwise see a broken pipe.
let xml = invocation.decidesStart ? HookInput.read() : { _ = HookInput.read(); return nil }()
let outcome = AdmissionGate.decide(invocation, xml: xml, loadConfiguration: {
    var configuration = try HyperwardConfiguration.load(path: configurationPath ?? HyperwardConfiguration.defaultPath,
                                                        isExplicit: configurationPath != nil)
    if let stateDirectory { configuration.stateDirectory = stateDirectory }
    return configuration
}, stateDirectory: stateDirectory, caller: Caller.hook())
if let message = outcome.message { FileHandle.standardError.write(Data("hyperward: \(message)\n".utf8)) }
exit(outcome.status)
