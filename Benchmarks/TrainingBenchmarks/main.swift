// Training throughput of MiniCPM against PyTorch eager, side by side (issue 12): tokens/s of a full
// training step (forward + backward + AdamW, float32) and the peak memory of a step, at each thread
// count, Swift and Benchmarks/pytorch/train_step.py alternating (ABBA) in fresh processes, plus
// where the Swift step's time goes.
//
//   swift run -c release --scratch-path .build-native ... TrainingBenchmarks [--shape 36M|9M|tiny]
//       [--batch 16] [--seq 512] [--threads 1,2] [--steps 2] [--warmup 1] [--rounds 1]
//       [--no-pytorch] [--no-breakdown] [--json PATH] [--pytorch-env KEY=VALUE]
//
// Prints a Markdown table, the breakdown, then the JSON document (also written to PATH with --json).
// PyTorch comes from $TORCH_PYTHON, .data/torch-venv (scripts/install-torch.sh) or python3; without
// it only the Swift side is reported.

import BenchmarkSupport
import CBLAS
import Foundation
import TensorCore

struct Options {
    var shape = TrainingShape.windTunnel36M
    var batch = 16
    var sequence = 512
    var threadCounts = [1, 2]
    var steps = 2
    var warmup = 1
    /// Pairs of (Swift, PyTorch) processes per thread count; the order alternates from one pair to
    /// the next and from one thread count to the next (ABBA).
    var rounds = 1
    var pytorch = true
    var breakdown = true
    var jsonPath: String?
    /// Environment of the PyTorch processes (`--pytorch-env KEY=VALUE`), e.g. a preloaded allocator.
    var pytorchEnvironment: [String: String] = [:]
    /// Set in the child processes: measure the Swift side only and print its JSON.
    var worker = false
}

var options = Options()
var arguments = CommandLine.arguments.dropFirst()
@MainActor func intArgument(_ name: String) -> Int {
    guard let s = arguments.popFirst(), let v = Int(s), v >= 0 else { fatalError("\(name) needs a non-negative integer") }
    return v
}
while let arg = arguments.popFirst() {
    switch arg {
    case "--shape":
        guard let s = arguments.popFirst(), let shape = TrainingShape(rawValue: s) else {
            fatalError("--shape needs one of \(TrainingShape.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        options.shape = shape
    case "--batch": options.batch = max(1, intArgument(arg))
    case "--seq": options.sequence = max(1, intArgument(arg))
    case "--threads":
        guard let list = arguments.popFirst() else { fatalError("--threads needs a list like 1,2") }
        options.threadCounts = list.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
    case "--steps": options.steps = max(1, intArgument(arg))
    case "--warmup": options.warmup = intArgument(arg)
    case "--rounds": options.rounds = max(1, intArgument(arg))
    case "--no-pytorch": options.pytorch = false
    case "--no-breakdown": options.breakdown = false
    case "--json":
        guard let p = arguments.popFirst() else { fatalError("--json needs a path") }
        options.jsonPath = p
    case "--pytorch-env":
        guard let pair = arguments.popFirst(), let eq = pair.firstIndex(of: "=") else {
            fatalError("--pytorch-env needs KEY=VALUE")
        }
        options.pytorchEnvironment[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
    case "--worker": options.worker = true
    case "-h", "--help":
        print("""
        usage: TrainingBenchmarks [--shape 36M|9M|tiny] [--batch 16] [--seq 512] [--threads 1,2] [--steps 2]
                                  [--warmup 1] [--rounds 1] [--no-pytorch] [--no-breakdown] [--json PATH]
                                  [--pytorch-env KEY=VALUE]...
          --shape: 36M is the paper's wind-tunnel 0.036B model (vocabulary 32,000, tied embeddings, muP);
                   tiny is a smoke run
          --rounds: Swift/PyTorch process pairs per thread count, in alternating order
          --pytorch-env: set for the PyTorch processes, e.g. LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
                         (a caching allocator, as PyTorch's CPU performance guides advise)
        Run from the package root (the PyTorch script is Benchmarks/pytorch/train_step.py).
        """)
        exit(0)
    default:
        fatalError("unknown argument \(arg) (try --help)")
    }
}

@MainActor func workerArguments(threads: Int, breakdown: Bool) -> [String] {
    ["--shape", options.shape.rawValue, "--batch", "\(options.batch)", "--seq", "\(options.sequence)",
     "--threads", "\(threads)", "--steps", "\(options.steps)", "--warmup", "\(options.warmup)"]
        + (breakdown ? [] : ["--no-breakdown"])
}

if options.worker {
    let threads = options.threadCounts.first ?? 1
    let result = try SwiftRun.run(shape: options.shape, batch: options.batch, sequence: options.sequence,
                                  threads: threads, warmup: options.warmup, steps: options.steps,
                                  breakdown: options.breakdown)
    let encoder = JSONEncoder()
    print(String(decoding: try encoder.encode(result), as: UTF8.self))
    exit(0)
}

let machine = MachineInfo.current(openBLASConfig: openblas_get_config(), openBLASCore: openblas_get_corename())
print("Training step benchmark on \(machine.cpuModel), \(machine.logicalCores) logical cores; OpenBLAS \(machine.openBLASConfig)")
print("load average at start: \(machine.loadAverageAtStart)")
let torch = options.pytorch ? PyTorchInterpreter.find() : nil
if options.pytorch && torch == nil {
    print("PyTorch is not installed (scripts/install-torch.sh installs it into .data/torch-venv, or set TORCH_PYTHON): reporting Swift only")
}
let script = FileManager.default.currentDirectoryPath + "/Benchmarks/pytorch/train_step.py"
let cost = StepCost(configuration: options.shape.configuration, batch: options.batch, sequence: options.sequence)
let tokensPerStep = options.batch * options.sequence
print("shape \(options.shape.rawValue): \(cost.parameters) parameters, batch \(options.batch) × sequence \(options.sequence) " +
      "= \(tokensPerStep) tokens a step, \(format(cost.totalFLOPs / 1e12, 2)) TFLOP a step; torch \(torch?.version ?? "absent")\n")

var configurations: [ConfigurationResult] = []
for (index, threads) in options.threadCounts.enumerated() {
    var swiftRuns: [RunResult] = [], torchRuns: [RunResult] = []
    for round in 0..<options.rounds {
        let swiftFirst = (round + index) % 2 == 0
        for side in swiftFirst ? ["swift", "pytorch"] : ["pytorch", "swift"] {
            if side == "swift" {
                progress("— Swift, \(threads) thread(s), round \(round + 1)")
                swiftRuns.append(try JSONChildProcess.run(URL(fileURLWithPath: "/proc/self/exe"),
                    ["--worker"] + workerArguments(threads: threads, breakdown: options.breakdown && round == 0), as: RunResult.self))
            } else if let torch {
                progress("— PyTorch, \(threads) thread(s), round \(round + 1)")
                torchRuns.append(try JSONChildProcess.run(URL(fileURLWithPath: torch.command[0]), Array(torch.command.dropFirst()) + [script,
                    "--shape", options.shape.rawValue, "--batch", "\(options.batch)", "--seq", "\(options.sequence)",
                    "--threads", "\(threads)", "--steps", "\(options.steps)", "--warmup", "\(options.warmup)"],
                    environment: options.pytorchEnvironment, as: RunResult.self))
            }
        }
    }
    configurations.append(ConfigurationResult(threads: threads, swift: swiftRuns, pytorch: torchRuns,
                                              cost: cost, tokensPerStep: tokensPerStep))
}
let report = TrainingReport(machine: machine, shape: options.shape.rawValue, batch: options.batch,
                            sequence: options.sequence, cost: cost, torchVersion: torch?.version,
                            configurations: configurations)
print(report.markdown())
try emitJSONReport(report, printing: true, to: options.jsonPath)
