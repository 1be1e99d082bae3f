import Foundation

/// Comma-separated values as RFC 4180 defines them, the format CMMLU and C-Eval are distributed in.
///
/// A field is either bare (no `"`, `,` or line break) or quoted: `"` ... `"`, where a doubled `""`
/// stands for one quote and commas and line breaks are literal, so one record may span several
/// lines. Records end at LF or CRLF (a lone CR too, as old spreadsheets write). Beyond the RFC, a
/// leading UTF-8 byte order mark is dropped (Excel writes one) and blank lines are skipped (pandas
/// skips them too). The text must be UTF-8.
///
/// Reading is bounded — the file, each field and each record's field count have limits — and every
/// malformation is an `EvaluationError.invalidFile` naming the file and the line, never a crash.
public enum CSVRecords {
    /// The bounds a read enforces.
    public struct Limits: Sendable, Equatable {
        /// Most bytes the whole file may hold (inflated, when gzip).
        public var maximumBytes: Int
        /// Most bytes one field may hold (the longest C-Eval explanation is a few KB).
        public var maximumFieldBytes: Int
        /// Most fields one record may hold.
        public var maximumFields: Int

        public init(maximumBytes: Int = GzipReader.defaultMaximumBytes, maximumFieldBytes: Int = 1 << 20,
                    maximumFields: Int = 1024) {
            self.maximumBytes = maximumBytes
            self.maximumFieldBytes = maximumFieldBytes
            self.maximumFields = maximumFields
        }

        public static let `default` = Limits()
    }

    /// One record: the 1-based line it starts on, and its fields, unquoted.
    public struct Record: Sendable, Equatable {
        public let line: Int
        public let fields: [String]

        public init(line: Int, fields: [String]) {
            self.line = line
            self.fields = fields
        }
    }

    /// The records of the file at `path` (inflated when gzip).
    public static func records(ofFile path: String, limits: Limits = .default) throws -> [Record] {
        let data = try GzipReader.contents(ofFile: path, maximumBytes: limits.maximumBytes)
        return try records(in: data, path: path, limits: limits)
    }

    /// The records of `data`; `path` only names the source in errors.
    public static func records(in data: Data, path: String, limits: Limits = .default) throws -> [Record] {
        if data.count > limits.maximumBytes {
            throw EvaluationError.invalidFile(path: path, reason: "\(data.count) bytes, more than the limit of \(limits.maximumBytes)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw EvaluationError.invalidFile(path: path, reason: "not UTF-8 text")
        }
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        var parser = Parser(path: path, limits: limits)
        return try parser.parse(Array(text.unicodeScalars))
    }

    /// A header record and the records under it, each checked to have as many fields as the header.
    public struct Table: Sendable, Equatable {
        public let path: String
        public let header: [String]
        public let rows: [Record]

        /// The index of the column named `name`, or an error naming the file and the header.
        public func column(_ name: String) throws -> Int {
            guard let index = header.firstIndex(of: name) else {
                throw EvaluationError.invalidFile(path: path, reason: "line 1: no column \"\(name)\" in the header \(header)")
            }
            return index
        }
    }

    /// The file at `path` as a ``Table``: its first record is the header; every later record must have
    /// the header's field count (a short or long row is an error naming its line).
    public static func table(ofFile path: String, limits: Limits = .default) throws -> Table {
        let all = try records(ofFile: path, limits: limits)
        guard let header = all.first else {
            throw EvaluationError.invalidFile(path: path, reason: "empty: no header line")
        }
        for row in all.dropFirst() where row.fields.count != header.fields.count {
            throw EvaluationError.invalidFile(
                path: path, reason: "line \(row.line): \(row.fields.count) fields, but the header has \(header.fields.count)")
        }
        return Table(path: path, header: header.fields, rows: Array(all.dropFirst()))
    }

    /// The state machine over Unicode scalars; `line` counts line breaks, quoted ones included, so
    /// errors and records name the line a text editor shows.
    private struct Parser {
        let path: String
        let limits: Limits
        var line = 1

        init(path: String, limits: Limits) {
            self.path = path
            self.limits = limits
        }

        mutating func parse(_ scalars: [Unicode.Scalar]) throws -> [Record] {
            var records: [Record] = []
            var index = 0
            while index < scalars.count {
                let start = line
                var fields: [String] = []
                var field = String.UnicodeScalarView()
                var fieldBytes = 0
                var endOfRecord = false
                while !endOfRecord {
                    // One field: quoted or bare.
                    if index < scalars.count && scalars[index] == "\"" {
                        let opened = line
                        index += 1
                        while true {
                            guard index < scalars.count else {
                                throw error("line \(opened): quoted field never closed (no matching '\"' before the end of the file)")
                            }
                            let scalar = scalars[index]
                            if scalar == "\"" {
                                if index + 1 < scalars.count && scalars[index + 1] == "\"" {
                                    try append("\"", to: &field, bytes: &fieldBytes)
                                    index += 2
                                    continue
                                }
                                index += 1
                                break
                            }
                            if scalar == "\n" || (scalar == "\r" && (index + 1 == scalars.count || scalars[index + 1] != "\n")) {
                                line += 1
                            }
                            try append(scalar, to: &field, bytes: &fieldBytes)
                            index += 1
                        }
                        // After the closing quote only a separator or the end of the record may follow.
                        if index < scalars.count && !isSeparator(scalars[index]) {
                            throw error("line \(line): \"\(scalars[index])\" after the closing quote of a field (a quote inside a field must be doubled)")
                        }
                    } else {
                        while index < scalars.count && !isSeparator(scalars[index]) {
                            if scalars[index] == "\"" {
                                throw error("line \(line): '\"' inside an unquoted field (quote the field and double the quote)")
                            }
                            try append(scalars[index], to: &field, bytes: &fieldBytes)
                            index += 1
                        }
                    }
                    fields.append(String(field))
                    if fields.count > limits.maximumFields {
                        throw error("line \(start): more than \(limits.maximumFields) fields in one record")
                    }
                    field = String.UnicodeScalarView()
                    fieldBytes = 0
                    // The separator: a comma continues the record; a line break or the end closes it.
                    if index < scalars.count && scalars[index] == "," {
                        index += 1
                    } else {
                        if index < scalars.count {
                            index += scalars[index] == "\r" && index + 1 < scalars.count && scalars[index + 1] == "\n" ? 2 : 1
                            line += 1
                        }
                        endOfRecord = true
                    }
                }
                // A blank line is one empty bare field: skip it.
                if fields != [""] { records.append(Record(line: start, fields: fields)) }
            }
            return records
        }

        private func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "," || scalar == "\n" || scalar == "\r"
        }

        private func append(_ scalar: Unicode.Scalar, to field: inout String.UnicodeScalarView, bytes: inout Int) throws {
            bytes += UTF8.width(scalar)
            if bytes > limits.maximumFieldBytes {
                throw error("line \(line): a field longer than the limit of \(limits.maximumFieldBytes) bytes")
            }
            field.append(scalar)
        }

        private func error(_ reason: String) -> EvaluationError {
            .invalidFile(path: path, reason: reason)
        }
    }
}
