import BenchmarkSupport
import Foundation

/// The Python that runs the PyTorch side of the training benchmark (its runs, like the Swift
/// worker's, go through `JSONChildProcess`).
enum PyTorchInterpreter {
    /// The Python interpreter with PyTorch: `$TORCH_PYTHON`, the virtual environment that
    /// scripts/install-torch.sh makes, or `python3`; `nil` when none of them imports torch.
    static func find() -> (command: [String], version: String)? {
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
