import Foundation

/// JSON Lines data files (one JSON value per line), plain or gzip-compressed.
///
/// Reading is bounded: the file may inflate to at most ``Limits/maximumBytes`` and no line may be
/// longer than ``Limits/maximumLineBytes``; anything beyond is an `EvaluationError.invalidFile`
/// naming the file and the line, never a crash. Blank lines (and a final newline) are skipped, and a
/// carriage return before the newline is dropped.
public enum JSONLines {
    /// The bounds a read enforces.
    public struct Limits: Sendable, Equatable {
        /// Most bytes the whole file may hold once inflated.
        public var maximumBytes: Int
        /// Most bytes one line may hold (the longest real row here, an OLMES request with five
        /// few-shot MATH solutions, is about 40 KB).
        public var maximumLineBytes: Int

        public init(maximumBytes: Int = GzipReader.defaultMaximumBytes, maximumLineBytes: Int = 16 << 20) {
            self.maximumBytes = maximumBytes
            self.maximumLineBytes = maximumLineBytes
        }

        public static let `default` = Limits()
    }

    /// One non-blank line of a file: its 1-based line number and its bytes.
    public struct Line: Sendable {
        public let number: Int
        public let bytes: Data
    }

    /// The non-blank lines of the file at `path` (inflated when gzip).
    public static func lines(ofFile path: String, limits: Limits = .default) throws -> [Line] {
        let data = try GzipReader.contents(ofFile: path, maximumBytes: limits.maximumBytes)
        return try lines(in: data, path: path, limits: limits)
    }

    /// The non-blank lines of `data`; `path` only names the source in errors.
    public static func lines(in data: Data, path: String, limits: Limits = .default) throws -> [Line] {
        var result: [Line] = []
        var lineNumber = 0
        var start = data.startIndex
        while start < data.endIndex {
            lineNumber += 1
            let newline = data[start...].firstIndex(of: 0x0a) ?? data.endIndex
            var end = newline
            if end > start && data[end - 1] == 0x0d { end -= 1 }
            if end - start > limits.maximumLineBytes {
                throw EvaluationError.invalidFile(
                    path: path, reason: "line \(lineNumber): \(end - start) bytes, more than the limit of \(limits.maximumLineBytes)")
            }
            let isBlank = data[start..<end].allSatisfy { $0 == 0x20 || $0 == 0x09 }
            if !isBlank { result.append(Line(number: lineNumber, bytes: Data(data[start..<end]))) }
            start = newline == data.endIndex ? newline : newline + 1
        }
        return result
    }

    /// Decodes every line of the file at `path` as a `T`.
    ///
    /// - Throws: `EvaluationError.invalidFile` naming the file, the line and the field at fault when
    ///   a line is not JSON or does not have `T`'s shape.
    public static func decode<T: Decodable>(_ type: T.Type, fromFile path: String, limits: Limits = .default) throws -> [T] {
        try lines(ofFile: path, limits: limits).map { try decode(type, line: $0, path: path) }
    }

    /// Decodes one line as a `T`; errors name `path` and the line number.
    public static func decode<T: Decodable>(_ type: T.Type, line: Line, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: line.bytes)
        } catch let error as DecodingError {
            throw EvaluationError.invalidFile(path: path, reason: "line \(line.number): \(describe(error))")
        } catch let error as EvaluationError {
            throw EvaluationError.invalidFile(path: path, reason: "line \(line.number): \(error)")
        } catch {
            throw EvaluationError.invalidFile(path: path, reason: "line \(line.number): \(error)")
        }
    }

    /// A short message naming the field at fault (the coding path) rather than Foundation's long dump.
    static func describe(_ error: DecodingError) -> String {
        func field(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "" : " at " + path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty ? "not JSON" : "invalid value\(field(context.codingPath)): \(context.debugDescription)"
        case let .keyNotFound(key, context):
            return "missing field \(field(context.codingPath + [key]).dropFirst(4))"
        case let .typeMismatch(type, context):
            return "expected \(type)\(field(context.codingPath))"
        case let .valueNotFound(type, context):
            return "null where \(type) is expected\(field(context.codingPath))"
        @unknown default:
            return "\(error)"
        }
    }
}
