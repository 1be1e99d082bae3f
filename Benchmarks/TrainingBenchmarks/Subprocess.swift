import BenchmarkSupport
import Foundation

/// Runs one measuring process (this executable as a Swift worker, or the PyTorch script) and decodes
/// the JSON document it prints last on standard output. Its standard error (progress) passes
/// through.
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `environment` is added to this process's own (for example an allocator for `LD_PRELOAD`).
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> RunResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(executable) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw Failure(description: "\(executable) printed no JSON result:\n\(text)")
        }
        return try JSONDecoder().decode(RunResult.self, from: Data(line.utf8))
    }

    /// The Python interpreter with PyTorch: `$TORCH_PYTHON`, the virtual environment that
    /// scripts/install-torch.sh makes, or `python3`; `nil` when none of them imports torch.
    static func pythonWithTorch() -> (command: [String], version: String)? {
        var candidates: [[String]] = []
        if let explicit = ProcessInfo.processInfo.environment["TORCH_PYTHON"] { candidates.append([explicit]) }
        candidates.append([FileManager.default.currentDirectoryPath + "/.data/torch-venv/bin/python"])
        candidates.append(["/usr/bin/env", "python3"])
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate[0]) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: candidate[0])
            process.arguments = Array(candidate.dropFirst()) + ["-c", "import torch; print(torch.__version__)"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if process.terminationStatus == 0 {
                let version = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                return (candidate, version)
            }
        }
        return nil
    }
}
