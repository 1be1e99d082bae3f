import Foundation

/// Writes `s` and a newline to standard error, for progress lines that should not mix with the
/// report on standard output.
public func progress(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// A report as the benchmarks write it: pretty-printed JSON with sorted keys, so two reports diff
/// line by line. Printed to standard output when `printing`, and written atomically to `path` when
/// one is given (announced on standard error).
public func emitJSONReport<Report: Encodable>(_ report: Report, printing: Bool, to path: String?) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let json = try encoder.encode(report)
    if printing { print(String(decoding: json, as: UTF8.self)) }
    if let path {
        try json.write(to: URL(fileURLWithPath: path), options: .atomic)
        progress("wrote \(path)")
    }
}
