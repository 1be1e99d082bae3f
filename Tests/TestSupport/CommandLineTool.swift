import Foundation
import XCTest

/// The `minicpm` executable that `swift test` builds beside the test bundles, run the way a user
/// runs it: the test targets that check the command line share this one runner.
public enum CommandLineTool {
    /// The executable, or a skip when it was not built beside the tests.
    public static func url() throws -> URL {
        let tool = Bundle.main.bundleURL.appendingPathComponent("minicpm")
        guard FileManager.default.isExecutableFile(atPath: tool.path) else {
            throw XCTSkip("minicpm executable not built beside the tests (\(tool.path))")
        }
        return tool
    }

    /// Runs the tool with `arguments` and `input` (any bytes) on its standard input; returns its
    /// exit status and standard output and error together.
    public static func run(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String) {
        try launch(url(), arguments, input: input)
    }

    /// Runs the tool through `/bin/sh -c "exec \"$0\" <script>"` with `$0` the tool and `$1`… the
    /// `parameters`, so that arguments can carry bytes that are not UTF-8 (`Process` takes Swift
    /// strings, which always are), e.g. `--text "$(printf 'abc\300\257')"`.
    public static func runThroughShell(_ script: String, parameters: [String] = []) throws -> (status: Int32, output: String) {
        try launch(URL(fileURLWithPath: "/bin/sh"), ["-c", "exec \"$0\" \(script)", url().path] + parameters, input: nil)
    }

    /// Starts the tool with `arguments` and returns the running process (to signal it, or wait
    /// for it with ``Foundation/Process/waitForOutput()``); its standard input is closed.
    public static func start(_ arguments: [String]) throws -> Process {
        try start(url(), arguments, input: nil)
    }

    private static func launch(_ executable: URL, _ arguments: [String], input: Data?) throws -> (status: Int32, output: String) {
        try start(executable, arguments, input: input).waitForOutput()
    }

    private static func start(_ executable: URL, _ arguments: [String], input: Data?) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let inputPipe = Pipe()
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(input) }
        try inputPipe.fileHandleForWriting.close()
        return process
    }
}

extension Process {
    /// Waits for a process started by ``CommandLineTool`` and returns its exit status and its
    /// standard output and error together.
    public func waitForOutput() -> (status: Int32, output: String) {
        let data = (standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data()
        waitUntilExit()
        return (terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
