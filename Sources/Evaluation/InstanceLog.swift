import Foundation

/// A task's per-instance log, `<directory>/<task>.jsonl`: one ``InstanceRecord`` per line, appended
/// as items are scored, so an interrupted run resumes where it stopped.
public final class InstanceLog {
    /// The log file.
    public let url: URL
    private var handle: FileHandle?
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Opens the log of `task` in `directory` (created when missing) and returns it with the
    /// records already there. A line that does not parse (a run killed mid-write) ends the readable
    /// part: the file is rewritten, atomically, with the records before it.
    public static func open(task: String, in directory: URL) throws(EvaluationError) -> (log: InstanceLog, records: [InstanceRecord]) {
        let url = directory.appendingPathComponent(task + ".jsonl")
        var records: [InstanceRecord] = []
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            if FileManager.default.fileExists(atPath: url.path) {
                let decoder = JSONDecoder()
                decoder.keyDecodingStrategy = .convertFromSnakeCase
                let data = try Data(contentsOf: url)
                for line in data.split(separator: 0x0a, omittingEmptySubsequences: true) {
                    guard let record = try? decoder.decode(InstanceRecord.self, from: Data(line)) else { break }
                    records.append(record)
                }
            }
            let log = InstanceLog(url: url)
            var kept = Data()
            for record in records { kept += try log.line(record) }
            try kept.write(to: url, options: .atomic)
            log.handle = try FileHandle(forWritingTo: url)
            try log.handle?.seekToEnd()
            return (log, records)
        } catch let error as EvaluationError {
            throw error
        } catch {
            throw .invalidFile(path: url.path, reason: "cannot read or write the instance log: \(error.localizedDescription)")
        }
    }

    private init(url: URL) { self.url = url }

    deinit { try? handle?.close() }

    /// Keeps only `records` (those still valid for this run), rewriting the file atomically.
    public func replace(with records: [InstanceRecord]) throws(EvaluationError) {
        do {
            try handle?.close()
            var data = Data()
            for record in records { data += try line(record) }
            try data.write(to: url, options: .atomic)
            handle = try FileHandle(forWritingTo: url)
            try handle?.seekToEnd()
        } catch {
            throw .invalidFile(path: url.path, reason: "cannot rewrite the instance log: \(error.localizedDescription)")
        }
    }

    /// Appends one record, in one write, so a killed run leaves at most one partial line.
    public func append(_ record: InstanceRecord) throws(EvaluationError) {
        do { try handle?.write(contentsOf: line(record)) } catch {
            throw .invalidFile(path: url.path, reason: "cannot append to the instance log: \(error.localizedDescription)")
        }
    }

    private func line(_ record: InstanceRecord) throws -> Data {
        var data = try encoder.encode(record)
        data.append(0x0a)
        return data
    }
}
