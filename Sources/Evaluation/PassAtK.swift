/// The unbiased pass@k estimator of Chen et al. (2021, "Evaluating Large Language Models Trained on
/// Code"): from `n` samples of which `c` pass, the probability that at least one of `k` samples drawn
/// without replacement passes, `1 − C(n−c, k) / C(n, k)`.
///
/// ```swift
/// try PassAtK.estimate(sampleCount: 5, correctCount: 2, k: 2)     // 1 − 3/10 = 0.7
/// ```
///
/// The binomial coefficients overflow (and lose all precision in floating point) long before `n = 200`,
/// the paper's setting, so the ratio is computed as the paper's numpy code does, as the product
/// `∏_{i = n−c+1}^{n} (1 − k/i)`, whose factors all lie in `[0, 1)`.
public enum PassAtK {
    /// pass@k of one problem.
    ///
    /// - Throws: ``EvaluationError/invalidArgument(name:value:requirement:)`` unless
    ///   `0 <= correctCount <= sampleCount` and `1 <= k <= sampleCount`.
    public static func estimate(sampleCount n: Int, correctCount c: Int, k: Int) throws(EvaluationError) -> Double {
        guard n >= 1 else { throw .invalidArgument(name: "sampleCount", value: "\(n)", requirement: ">= 1") }
        guard (0...n).contains(c) else {
            throw .invalidArgument(name: "correctCount", value: "\(c)", requirement: "in 0...\(n) (the sample count)")
        }
        guard (1...n).contains(k) else {
            throw .invalidArgument(name: "k", value: "\(k)", requirement: "in 1...\(n) (the sample count)")
        }
        // Fewer failures than k: every draw of k contains a pass.
        if n - c < k { return 1 }
        var failProbability = 1.0
        for i in stride(from: n - c + 1, through: n, by: 1) {  // empty when c == 0
            failProbability *= 1 - Double(k) / Double(i)
        }
        return 1 - failProbability
    }

    /// The mean pass@k over problems, each given as (samples, passing samples).
    ///
    /// - Throws: as ``estimate(sampleCount:correctCount:k:)`` for the first problem out of range.
    public static func mean(_ problems: [(sampleCount: Int, correctCount: Int)], k: Int) throws(EvaluationError) -> Double {
        guard !problems.isEmpty else { return 0 }
        var total = 0.0
        for problem in problems {
            total += try estimate(sampleCount: problem.sampleCount, correctCount: problem.correctCount, k: k)
        }
        return total / Double(problems.count)
    }
}
