/// The runs of the experiment: for each stable length S, the total N = round(S · (1 + long)), a long
/// decay branched at S and a short one branched at N − round(N · short), both ending at N, and
/// Cosine(N).
struct ExperimentPlan {
    struct Point {
        var total: Int
        var longBranch: Int
        var shortBranch: Int
    }

    let points: [Point]
    let longDecay: Double
    let shortDecay: Double

    init(stableLengths: [Int], longDecay: Double, shortDecay: Double) {
        self.longDecay = longDecay
        self.shortDecay = shortDecay
        points = stableLengths.map { s in
            let total = Int((Double(s) * (1 + longDecay)).rounded())
            return Point(total: total, longBranch: s, shortBranch: total - max(1, Int((Double(total) * shortDecay).rounded())))
        }
    }

    /// Where the stable run must have checkpoints.
    var branchPoints: Set<Int> { Set(points.flatMap { [$0.longBranch, $0.shortBranch] }) }

    /// The stable run's length: the latest branch point.
    var stableEnd: Int { branchPoints.max() ?? 0 }
}
