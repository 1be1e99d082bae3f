import ArgumentParser
import Foundation
import Tokenizer

/// Text that reaches the tool as bytes (arguments, standard input), checked to be UTF-8 before it is
/// decoded: Swift repairs ill-formed UTF-8 in `CommandLine.arguments` and `readLine()` with U+FFFD,
/// which would make the tool tokenize text nobody wrote. The check itself is the library's
/// ``UTF8Validation``.
enum TextInput {
    /// Checks the raw bytes of every command-line argument (`CommandLine.unsafeArgv`, before Swift
    /// repairs them).
    ///
    /// - Throws: ``TokenizerError/invalidUTF8(source:offset:byte:)`` for the first ill-formed one,
    ///   naming the option it is the value of (`--prompt`, or `--prompt=` for the joined form, whose
    ///   offset counts from the value), else its position (`argument 3`).
    static func validateArguments() throws(TokenizerError) {
        let count = Int(CommandLine.argc)
        var previous: [UInt8] = []
        for index in 1..<max(count, 1) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                                  count: strlen(pointer)))
            defer { previous = bytes }
            guard UTF8Validation.firstInvalidOffset(in: bytes) != nil else { continue }
            if bytes.starts(with: Array("--".utf8)), let equals = bytes.firstIndex(of: UInt8(ascii: "=")),
               UTF8Validation.firstInvalidOffset(in: bytes[..<equals]) == nil {
                let name = String(decoding: bytes[..<equals], as: UTF8.self)
                _ = try UTF8Validation.string(from: bytes[(equals + 1)...], source: name)
            }
            let isOptionName = previous.first == UInt8(ascii: "-") && !previous.contains(UInt8(ascii: "="))
                && UTF8Validation.firstInvalidOffset(in: previous) == nil
            _ = try UTF8Validation.string(from: bytes, source: isOptionName ? String(decoding: previous, as: UTF8.self)
                                                                             : "argument \(index)")
        }
    }

    /// All of standard input, decoded as UTF-8.
    ///
    /// - Throws: ``TokenizerError/invalidUTF8(source:offset:byte:)`` (source `standard input`).
    static func readStandardInput() throws -> String {
        try UTF8Validation.string(from: FileHandle.standardInput.readDataToEndOfFile(), source: "standard input")
    }
}

/// Standard input line by line, as raw bytes checked to be UTF-8 (unlike `readLine()`, which repairs
/// them). Reads only what is available, so it works interactively.
struct StandardInputLines {
    private var buffer: [UInt8] = []
    private var ended = false
    /// The number of lines returned so far (the line number of the last one).
    private(set) var lineNumber = 0

    /// The next line without its `\n` (or `\r\n`), `nil` at the end of input.
    ///
    /// - Throws: ``TokenizerError/invalidUTF8(source:offset:byte:)`` naming the line (`line 2 of
    ///   standard input`), the offset counting from the line's start; the line is consumed, so the
    ///   next call reads the one after it.
    mutating func next() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return try decode(line)
            }
            if ended {
                guard !buffer.isEmpty else { return nil }
                defer { buffer = [] }
                return try decode(buffer)
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer += chunk[..<count]
            } else if count == 0 || errno != EINTR {
                ended = true
            }
        }
    }

    private mutating func decode(_ line: [UInt8]) throws -> String {
        lineNumber += 1
        return try UTF8Validation.string(from: line, source: "line \(lineNumber) of standard input")
    }
}
