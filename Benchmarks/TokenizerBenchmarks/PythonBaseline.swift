import Foundation

/// The Python `sentencepiece` package running the same workloads on the same bytes, in a child
/// process that stays alive for the whole run so its rounds interleave with ours.
///
/// Protocol (one line each way): we send `document`, `lines` or `lines2`; it answers
/// `<wall seconds> <CPU seconds> <token count> <sum of ids>` for one encode of the whole workload,
/// timed inside Python with `time.perf_counter` and `time.process_time` (process start and model
/// loading excluded).
final class PythonBaseline {
    /// One timed run of a workload.
    struct Measurement {
        var seconds: Double
        var cpuSeconds: Double
        var tokens: Int
        var checksum: Int
    }

    static let script = #"""
import sys, time
import sentencepiece as spm
model, corpus = sys.argv[1], sys.argv[2]
sp = spm.SentencePieceProcessor(model_file=model)
text = open(corpus, encoding="utf-8", newline="").read()  # keep "\r\n": the Swift side does
lines = [line for line in text.split("\n") if line]
print("ready " + spm.__version__, flush=True)
for command in sys.stdin:
    command = command.strip()
    start, start_cpu = time.perf_counter(), time.process_time()
    if command == "document":
        ids = [sp.encode(text)]
    elif command == "lines":
        ids = sp.encode(lines, num_threads=1)  # the package's default, -1, means every core
    elif command == "lines2":
        ids = sp.encode(lines, num_threads=2)
    else:
        break
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(seconds, cpu, sum(len(x) for x in ids), sum(sum(x) for x in ids), flush=True)
"""#

    let version: String
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()

    /// Starts `python` on the model and corpus file; `nil` (with the reason printed) when Python or
    /// the package is missing.
    init?(python: String, model: String, corpus: String) {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", Self.script, model, corpus]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            print("Python baseline skipped: cannot start \(python): \(error)")
            return nil
        }
        guard let ready = Self.readLine(from: output, buffer: &buffer), ready.hasPrefix("ready ") else {
            print("Python baseline skipped: \(python) could not import sentencepiece (python3 -m pip install sentencepiece)")
            process.waitUntilExit()
            return nil
        }
        version = String(ready.dropFirst(6))
    }

    private static func readLine(from output: Pipe, buffer: inout Data) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer = Data(buffer[(newline + 1)...])
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }

    /// One timed run of a workload: wall and CPU seconds, tokens, sum of ids.
    func run(_ workload: String) -> Measurement? {
        input.fileHandleForWriting.write(Data((workload + "\n").utf8))
        guard let line = Self.readLine(from: output, buffer: &buffer) else { return nil }
        let parts = line.split(separator: " ")
        guard parts.count == 4, let seconds = Double(parts[0]), let cpu = Double(parts[1]),
              let tokens = Int(parts[2]), let sum = Int(parts[3]) else {
            return nil
        }
        return Measurement(seconds: seconds, cpuSeconds: cpu, tokens: tokens, checksum: sum)
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
