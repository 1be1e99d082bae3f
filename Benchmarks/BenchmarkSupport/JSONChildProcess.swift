import Foundation

/// Runs a measuring process and decodes the JSON line it prints last on standard output (its
/// standard error, progress, passes through): a measurement in a process of its own, so that
/// nothing earlier (a peak resident size, the allocator's retained memory, another runtime's
/// threads) counts against it.
public enum JSONChildProcess {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `executable` with `arguments`, `environment` added to this process's own (for example
    /// an allocator for `LD_PRELOAD`), and decodes its last line starting with `{` as `Result`.
    public static func run<Result: Decodable>(_ executable: URL, _ arguments: [String], environment: [String: String] = [:],
                                              as type: Result.Type) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let command = ([executable.path] + arguments).joined(separator: " ")
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(command) exited with \(process.terminationStatus)")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("{") }) else {
            throw Failure(description: "\(command) printed no JSON result:\n\(text)")
        }
        return try JSONDecoder().decode(Result.self, from: Data(line.utf8))
    }

    /// This executable, to run again as a child.
    public static var currentExecutable: URL {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        return FileManager.default.isExecutableFile(atPath: path.path) ? path
            : URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }

    /// Prints `value` as one JSON line, for the parent.
    public static func reply<Value: Encodable>(_ value: Value) {
        let data = try! JSONEncoder().encode(value)
        print(String(decoding: data, as: UTF8.self))
    }
}
