import BenchmarkSupport

/// Everything the JSON document holds.
struct BenchmarkReport: Codable {
    var tool = "TensorCoreBenchmarks"
    var date: String
    var command: String
    var machine: MachineInfo
    var results: [BenchmarkResult]
    var totalSeconds: Double
}
