import BenchmarkSupport
import Foundation

/// Runs this executable again with `arguments` and decodes the JSON line it prints last: each
/// prefill measures its peak resident size in a process of its own, so no earlier length's
/// allocations (or the allocator's retained free memory) count against it.
enum ChildProcess {
    struct Failure: Error, CustomStringConvertible { var description: String }

    static func run<Result: Decodable>(_ arguments: [String], as type: Result.Type) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        if !FileManager.default.isExecutableFile(atPath: process.executableURL!.path) {
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        }
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "child \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw Failure(description: "child \(arguments.joined(separator: " ")) printed no JSON:\n\(text)")
        }
        return try JSONDecoder().decode(Result.self, from: Data(line.utf8))
    }

    /// Prints `value` as one JSON line, for the parent.
    static func reply<Value: Encodable>(_ value: Value) {
        let data = try! JSONEncoder().encode(value)
        print(String(decoding: data, as: UTF8.self))
    }
}
