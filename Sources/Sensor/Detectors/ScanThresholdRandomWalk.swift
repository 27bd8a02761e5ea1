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

/// Threshold Random Walk: the sequential hypothesis test of Jung, Paxson, Berger and
/// Balakrishnan, "Fast Portscan Detection Using Sequential Hypothesis Testing" (IEEE S&P 2004).
///
/// Each first contact of a source with a host it has not contacted before is a trial: success
/// (the host answered the handshake) or failure (reset, or no answer in time). A benign source
/// succeeds with probability θ0, a scanner with θ1 < θ0. The walk multiplies the likelihood ratio
/// Λ = Pr[outcomes | scanner] / Pr[outcomes | benign] by θ1/θ0 on a success and by
/// (1−θ1)/(1−θ0) on a failure, and decides *scanner* once Λ ≥ η1 = β/α, *benign* once
/// Λ ≤ η0 = (1−β)/(1−α) (Wald's approximations, paper §3). It is kept as log Λ.
///
/// With the paper's parameters each failure multiplies Λ by 4 and each success by 1/4, so four
/// failures in a row (4⁴ = 256 ≥ η1 ≈ 99) decide *scanner*, and four successes in a row
/// (4⁻⁴ ≈ 0.0039 ≤ η0 ≈ 0.0101) decide *benign*.
public struct ScanThresholdRandomWalk: Sendable, Hashable {
    /// The test's parameters and the steps and thresholds derived from them.
    public struct Parameters: Sendable, Hashable {
        /// θ0: the probability that a benign source's first contact succeeds.
        public var benignSuccessProbability: Double
        /// θ1: the probability that a scanner's first contact succeeds.
        public var scannerSuccessProbability: Double
        /// α: the accepted probability of calling a benign source a scanner.
        public var falsePositiveProbability: Double
        /// β: the required probability of detecting a scanner.
        public var detectionProbability: Double

        /// The paper's values (§4.2): θ0 = 0.8, θ1 = 0.2, α = 0.01, β = 0.99.
        public static let jung2004 = Parameters(benignSuccessProbability: 0.8, scannerSuccessProbability: 0.2,
                                                falsePositiveProbability: 0.01, detectionProbability: 0.99)

        /// Parameters; they are meaningful when 0 < θ1 < θ0 < 1 and 0 < α < β < 1.
        public init(benignSuccessProbability: Double, scannerSuccessProbability: Double,
                    falsePositiveProbability: Double, detectionProbability: Double) {
            self.benignSuccessProbability = benignSuccessProbability
            self.scannerSuccessProbability = scannerSuccessProbability
            self.falsePositiveProbability = falsePositiveProbability
            self.detectionProbability = detectionProbability
        }

        /// ln(θ1/θ0): the step of a success (negative).
        public var successStep: Double { log(scannerSuccessProbability / benignSuccessProbability) }
        /// ln((1−θ1)/(1−θ0)): the step of a failure (positive).
        public var failureStep: Double { log((1 - scannerSuccessProbability) / (1 - benignSuccessProbability)) }
        /// ln η1 = ln(β/α): at or above it, the source is a scanner.
        public var upperThreshold: Double { log(detectionProbability / falsePositiveProbability) }
        /// ln η0 = ln((1−β)/(1−α)): at or below it, the source is benign.
        public var lowerThreshold: Double { log((1 - detectionProbability) / (1 - falsePositiveProbability)) }

        /// Whether the parameters describe a test at all (probabilities in (0, 1), θ1 < θ0, α < β).
        public var isValid: Bool {
            0 < scannerSuccessProbability && scannerSuccessProbability < benignSuccessProbability
                && benignSuccessProbability < 1 && 0 < falsePositiveProbability
                && falsePositiveProbability < detectionProbability && detectionProbability < 1
        }
    }

    /// The outcome of one step.
    public enum Decision: Sendable, Hashable {
        /// Neither threshold reached: keep watching.
        case pending
        /// Λ reached η1: the source is a scanner.
        case scanner
        /// Λ fell to η0: the source looks benign; the walk restarts at Λ = 1 so a scanner
        /// cannot buy a clean record with a few good connections and then scan unwatched.
        case benign
    }

    /// log Λ so far (0 at the start and after each *benign* decision).
    public private(set) var logLikelihoodRatio: Double = 0

    /// A walk at Λ = 1.
    public init() {}

    /// Λ itself.
    public var likelihoodRatio: Double { exp(logLikelihoodRatio) }

    /// Takes one first-contact outcome.
    /// - Returns: the decision after it.
    public mutating func record(success: Bool, parameters: Parameters) -> Decision {
        logLikelihoodRatio += success ? parameters.successStep : parameters.failureStep
        // A tiny tolerance so that exactly reaching a threshold (as the closed form does) counts,
        // whatever rounding the logarithms carry.
        if logLikelihoodRatio >= parameters.upperThreshold - 1e-9 { return .scanner }
        if logLikelihoodRatio <= parameters.lowerThreshold + 1e-9 {
            logLikelihoodRatio = 0
            return .benign
        }
        return .pending
    }
}
