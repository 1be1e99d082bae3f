/// What one measuring process (the Swift worker or the PyTorch script) reports as JSON on its
/// standard output; both write the same keys, so the driver decodes either into this.
struct RunResult: Codable {
    struct Step: Codable {
        var seconds: Double
        var forward: Double
        var backward: Double
        var optimizer: Double
        var loss: Double
        /// Kernel CPU seconds and minor page faults during the step: what allocation
        /// costs beyond the allocator's own user time.
        var systemSeconds: Double?
        var minorFaults: Int?
        /// CPU seconds of the process during the step (at one thread, the step's time
        /// without what other processes took from it).
        var cpuSeconds: Double?
    }

    var implementation: String
    var threads: Int
    var shape: String
    var batch: Int
    var seq: Int
    var parameters: Int
    var steps: [Step]
    var medianStepSeconds: Double
    var tokensPerSecond: Double
    /// VmHWM after resetting it once warm-up was done: the peak of the steady-state steps (weights,
    /// gradients, optimizer state, activations, and the process's code and libraries).
    var peakStepResidentBytes: Int?
    /// VmHWM of the whole process, where resetting it was refused.
    var peakProcessResidentBytes: Int?
    var torch: String?
    /// Swift only: where the time of a step goes, from isolated operations at the step's shapes.
    var breakdown: [BreakdownEntry]?
    /// Swift only: raw `cblas_sgemm` GFLOP/s at the step's largest linear shape, at this thread count.
    var sgemmGFLOPS: Double?

    var peakBytes: Int? { peakStepResidentBytes ?? peakProcessResidentBytes }
}

/// Seconds per training step spent in one kind of work.
struct BreakdownEntry: Codable {
    var part: String
    var seconds: Double
}
