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

import ArgumentParser
import Foundation
import HyperwardCore
import HyperwardHost

extension AsyncParsableCommand {
    /// Runs `body`, turning an error into its message on standard error and its exit status
    /// (`ExitStatus`, docs/exit-codes.md).
    func reportingErrors(_ body: () async throws -> Int32) async throws {
        do {
            let code = try await body()
            if code != 0 { throw ExitCode(code) }
        } catch let error as HyperwardError {
            Output.error(error.description)
            throw ExitCode(error.code.exitStatus)
        } catch let error as FileCreationError {
            Output.error(error.message)
            throw ExitCode(error.kind == .failed ? ExitStatus.ioError : ExitStatus.cannotCreate)
        } catch let error as StateLockError {
            Output.error(error.message)
            throw ExitCode(ExitStatus.busy)
        }
    }
}
