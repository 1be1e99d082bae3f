// TensorCore benchmarks: every figure is a ratio to a baseline measured in the same run
// (raw cblas_sgemm for matmul, a plain 64 MB memcpy for memory-bound operations), at 1 and 2 threads.
//
//   swift run -c release --scratch-path .build-bench TensorCoreBenchmarks [--json PATH] [--threads 1,2] [--quick]
//                                                                          [--only silu,softmax]
//
// Prints a Markdown table, then the JSON document (also written to PATH with --json).

import BenchmarkSupport
import CBLAS
import Foundation
import TensorCore

var jsonPath: String?
var threadCounts = [1, 2]
var plan = MeasurementPlan()
var only: [String] = []
var arguments = CommandLine.arguments.dropFirst()
while let arg = arguments.popFirst() {
    switch arg {
    case "--json":
        guard let p = arguments.popFirst() else { fatalError("--json needs a path") }
        jsonPath = p
    case "--threads":
        guard let list = arguments.popFirst() else { fatalError("--threads needs a list like 1,2") }
        threadCounts = list.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
    case "--only":
        guard let list = arguments.popFirst() else { fatalError("--only needs a list like silu,softmax") }
        only = list.split(separator: ",").map { String($0).lowercased() }
    case "--quick":
        plan = MeasurementPlan(warmupRounds: 1, minimumRounds: 3, maximumRounds: 10, budgetSeconds: 0.2)
    case "-h", "--help":
        print("usage: TensorCoreBenchmarks [--json PATH] [--threads 1,2] [--quick] [--only NAME,...]")
        print("  --only: run only the rows whose operation name contains one of the names (e.g. silu,softmax,matmul)")
        exit(0)
    default:
        fatalError("unknown argument \(arg) (try --help)")
    }
}

let started = clock.now
let machine = MachineInfo.current(openBLASConfig: openblas_get_config(), openBLASCore: openblas_get_corename())
print("TensorCore benchmarks on \(machine.cpuModel), \(machine.logicalCores) logical cores; OpenBLAS \(machine.openBLASConfig)")
print("Each row: warm-up, then interleaved runs with its baseline (≥ \(plan.minimumRounds) runs, ≥ \(plan.budgetSeconds) s); median (best).\n")

var rng = SeededRandom(seed: 2024)
var results: [BenchmarkResult] = []
for threads in threadCounts {
    let selected = { (name: String) in only.isEmpty || only.contains { name.lowercased().contains($0) } }
    if selected("matmul") || selected("sgemv") {
        results += matmulBenchmarks(threads: threads, plan: plan, rng: &rng)
    }
    results += elementwiseBenchmarks(threads: threads, plan: plan, rng: &rng, selected: selected)
}
let totalSeconds = secondsSince(started)

print(table(results))
for r in results where r.note != nil { print("  \(r.name) \(r.shape) @\(r.threads): \(r.note!)") }
print("\ntotal \(format(totalSeconds, 1)) s\n")

let formatter = ISO8601DateFormatter()
let report = BenchmarkReport(date: formatter.string(from: Date()),
                             command: CommandLine.arguments.joined(separator: " "),
                             machine: machine, results: results, totalSeconds: totalSeconds)
try emitJSONReport(report, printing: true, to: jsonPath)
blackHole(blackHoleSink)
