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

/// Side-channel checks (T4): CPU vulnerability states, weakening boot switches, SMT, KVM module
/// parameters, KSM and microcode.
public enum SideChannelChecks {
    /// The checks of this area.
    public static var all: [any Check] {
        [
            CPUVulnerabilitiesCheck(),
            CommandLineMitigationsCheck(),
            SMTCheck(),
            KVMParameterCheck.nxHugePages,
            KVMParameterCheck.vmentryL1DFlush,
            KVMParameterCheck.mitigateSMTRSB,
            KSMCheck(),
            MicrocodeCheck(),
        ]
    }
}
