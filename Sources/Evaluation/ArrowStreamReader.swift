import Foundation

/// A value read from an Arrow column: the types the Hugging Face data sets here use.
public indirect enum ArrowValue: Sendable, Equatable, Encodable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case list([ArrowValue])
    /// A struct (and a whole row): field names and values in schema order.
    case structure(names: [String], values: [ArrowValue])

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Encodes as the JSON a row of `to_pylist()` would give, so the JSON Lines row types decode it.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case let .bool(value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case let .int(value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case let .string(value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case let .list(values):
            var container = encoder.unkeyedContainer()
            for value in values { try container.encode(value) }
        case let .structure(names, values):
            var container = encoder.container(keyedBy: Key.self)
            for (name, value) in zip(names, values) { try container.encode(value, forKey: Key(stringValue: name)) }
        }
    }
}

/// A minimal reader of the Arrow IPC *stream* format (the `.arrow` files `datasets` saves): a schema
/// message, then record batches, each a flatbuffer header and a body of buffers.
///
/// Supported column types: signed/unsigned integers (8–64 bit), bool, utf8, large utf8, list,
/// large list and struct, with validity bitmaps; dictionary batches and compressed bodies are
/// refused. Every offset and length read from the file is checked against the bytes actually there
/// before use, so a malformed file is an `EvaluationError.invalidFile`, never a crash, and nothing is
/// allocated from a count the file states without the buffers to back it.
public enum ArrowStreamReader {
    /// A schema field.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var type: FieldType
        public var children: [Field]
    }

    /// The column types this reader decodes.
    public enum FieldType: Sendable, Equatable {
        case int(bitWidth: Int, signed: Bool)
        case bool
        case utf8
        case largeUTF8
        case list
        case largeList
        case structure
    }

    /// The schema's fields and every row (a `.structure` per row) of the stream in the file at `path`.
    public static func read(path: String, maximumBytes: Int = GzipReader.defaultMaximumBytes) throws -> (fields: [Field], rows: [ArrowValue]) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw EvaluationError.invalidFile(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard data.count <= maximumBytes else {
            throw EvaluationError.invalidFile(path: path, reason: "\(data.count) bytes, more than the limit of \(maximumBytes)")
        }
        return try read(bytes: [UInt8](data), path: path)
    }

    /// Reads a stream from `bytes`; `path` names it in errors.
    public static func read(bytes: [UInt8], path: String) throws -> (fields: [Field], rows: [ArrowValue]) {
        let buffer = Bytes(bytes: bytes, path: path)
        var fields: [Field]?
        var rows: [ArrowValue] = []
        var position = 0
        var message = 0
        while position < bytes.count {
            message += 1
            var length = try buffer.i32(position)
            position += 4
            if length == -1 {  // continuation marker (format 0.15 and later)
                length = try buffer.i32(position)
                position += 4
            }
            if length == 0 { break }  // end of stream
            guard length > 0, length <= bytes.count - position else {
                throw buffer.error("message \(message): metadata length \(length) at byte \(position - 4) runs past the end")
            }
            let root = try Table(buffer: buffer, position: position + Int(try buffer.u32(position)))
            position += Int(length)
            let headerType = try root.u8(1)
            let bodyLength = try root.i64(3)
            guard bodyLength >= 0, bodyLength <= Int64(bytes.count - position) else {
                throw buffer.error("message \(message): body length \(bodyLength) runs past the end")
            }
            let body = position..<(position + Int(bodyLength))
            position += Int(bodyLength)
            guard let header = try root.table(2) else { throw buffer.error("message \(message): no header") }
            switch headerType {
            case 1:
                fields = try schemaFields(header, buffer: buffer)
            case 3:
                guard let fields else { throw buffer.error("message \(message): record batch before the schema") }
                rows += try recordBatch(header, fields: fields, body: body, buffer: buffer, message: message)
            case 2:
                throw buffer.error("message \(message): dictionary batches are not supported")
            default:
                throw buffer.error("message \(message): unknown header type \(headerType)")
            }
        }
        guard let fields else { throw buffer.error("no schema message") }
        return (fields, rows)
    }

    // MARK: Flatbuffers

    /// The file's bytes with bounds-checked little-endian reads.
    struct Bytes {
        let bytes: [UInt8]
        let path: String

        func error(_ reason: String) -> EvaluationError { .invalidFile(path: path, reason: "arrow: " + reason) }

        func check(_ offset: Int, _ size: Int) throws {
            guard offset >= 0, size >= 0, offset <= bytes.count - size else {
                throw error("read of \(size) bytes at \(offset) is outside the \(bytes.count)-byte file")
            }
        }

        func unsigned(_ offset: Int, _ size: Int) throws -> UInt64 {
            try check(offset, size)
            var value: UInt64 = 0
            for index in 0..<size { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            return value
        }

        func u8(_ offset: Int) throws -> UInt8 { UInt8(try unsigned(offset, 1)) }
        func u16(_ offset: Int) throws -> Int { Int(try unsigned(offset, 2)) }
        func u32(_ offset: Int) throws -> UInt32 { UInt32(try unsigned(offset, 4)) }
        func i32(_ offset: Int) throws -> Int32 { Int32(bitPattern: try u32(offset)) }
        func i64(_ offset: Int) throws -> Int64 { Int64(bitPattern: try unsigned(offset, 8)) }
    }

    /// A flatbuffer table: a signed offset to its vtable, then the fields the vtable locates.
    struct Table {
        let buffer: Bytes
        let position: Int

        init(buffer: Bytes, position: Int) throws {
            try buffer.check(position, 4)
            self.buffer = buffer
            self.position = position
        }

        /// Where field `index` lies, or nil when the table leaves it out (its default applies).
        func field(_ index: Int) throws -> Int? {
            let vtable = position - Int(try buffer.i32(position))
            let vtableSize = try buffer.u16(vtable)
            let entry = 4 + 2 * index
            guard entry + 2 <= vtableSize else { return nil }
            let offset = try buffer.u16(vtable + entry)
            return offset == 0 ? nil : position + offset
        }

        func u8(_ index: Int) throws -> UInt8 { try field(index).map { try buffer.u8($0) } ?? 0 }
        func i32(_ index: Int) throws -> Int32 { try field(index).map { try buffer.i32($0) } ?? 0 }
        func i64(_ index: Int) throws -> Int64 { try field(index).map { try buffer.i64($0) } ?? 0 }

        private func indirect(_ index: Int) throws -> Int? {
            guard let at = try field(index) else { return nil }
            return at + Int(try buffer.u32(at))
        }

        func table(_ index: Int) throws -> Table? {
            try indirect(index).map { try Table(buffer: buffer, position: $0) }
        }

        /// A vector's element count and first element, its extent checked for `elementSize`.
        func vector(_ index: Int, elementSize: Int) throws -> (count: Int, start: Int)? {
            guard let at = try indirect(index) else { return nil }
            let count = Int(try buffer.u32(at))
            guard count <= (buffer.bytes.count - at - 4) / elementSize else {
                throw buffer.error("vector of \(count) elements at \(at) runs past the end")
            }
            return (count, at + 4)
        }

        func tables(_ index: Int) throws -> [Table] {
            guard let (count, start) = try vector(index, elementSize: 4) else { return [] }
            return try (0..<count).map { element in
                let at = start + 4 * element
                return try Table(buffer: buffer, position: at + Int(try buffer.u32(at)))
            }
        }

        func string(_ index: Int) throws -> String? {
            guard let (count, start) = try vector(index, elementSize: 1) else { return nil }
            return String(decoding: buffer.bytes[start..<(start + count)], as: UTF8.self)
        }
    }

    // MARK: Schema

    private static func schemaFields(_ schema: Table, buffer: Bytes) throws -> [Field] {
        try schema.tables(1).map { try field($0, buffer: buffer, depth: 0) }
    }

    private static func field(_ table: Table, buffer: Bytes, depth: Int) throws -> Field {
        let name = try table.string(0) ?? ""
        guard depth < 32 else { throw buffer.error("field \(name): nested more than 32 deep") }
        if try table.field(4) != nil { throw buffer.error("field \(name): dictionary-encoded columns are not supported") }
        let typeID = try table.u8(2)
        let type: FieldType
        switch typeID {
        case 2:
            guard let details = try table.table(3) else { throw buffer.error("field \(name): Int without its width") }
            let width = Int(try details.i32(0))
            guard [8, 16, 32, 64].contains(width) else { throw buffer.error("field \(name): integer width \(width)") }
            type = .int(bitWidth: width, signed: try details.u8(1) != 0)
        case 5: type = .utf8
        case 6: type = .bool
        case 12: type = .list
        case 13: type = .structure
        case 20: type = .largeUTF8
        case 21: type = .largeList
        default: throw buffer.error("field \(name): column type \(typeID) is not supported")
        }
        let children = try table.tables(5).map { try field($0, buffer: buffer, depth: depth + 1) }
        // A struct without children would have nothing but its node's length to bound its size.
        if type == .structure && children.isEmpty { throw buffer.error("field \(name): a struct without fields") }
        if (type == .list || type == .largeList) && children.count != 1 {
            throw buffer.error("field \(name): a list needs one child, has \(children.count)")
        }
        return Field(name: name, type: type, children: children)
    }

    // MARK: Record batches

    private struct BatchCursor {
        let buffer: Bytes
        let body: Range<Int>
        let nodes: (count: Int, start: Int)
        let buffers: (count: Int, start: Int)
        var node = 0
        var bufferIndex = 0
        let message: Int

        mutating func nextNode(_ name: String) throws -> (length: Int, nullCount: Int) {
            guard node < nodes.count else { throw buffer.error("message \(message): no field node left for \(name)") }
            let at = nodes.start + 16 * node
            node += 1
            let length = try buffer.i64(at), nullCount = try buffer.i64(at + 8)
            guard length >= 0, nullCount >= 0, nullCount <= length, length < Int64(Int32.max) else {
                throw buffer.error("message \(message): field \(name): length \(length), null count \(nullCount)")
            }
            return (Int(length), Int(nullCount))
        }

        /// The next body buffer as an absolute byte range.
        mutating func nextBuffer(_ name: String) throws -> Range<Int> {
            guard bufferIndex < buffers.count else { throw buffer.error("message \(message): no buffer left for \(name)") }
            let at = buffers.start + 16 * bufferIndex
            bufferIndex += 1
            let offset = try buffer.i64(at), length = try buffer.i64(at + 8)
            guard offset >= 0, length >= 0, offset <= Int64(body.count), length <= Int64(body.count) - offset else {
                throw buffer.error("message \(message): field \(name): buffer at \(offset) of \(length) bytes is outside the \(body.count)-byte body")
            }
            return (body.lowerBound + Int(offset))..<(body.lowerBound + Int(offset) + Int(length))
        }
    }

    private static func recordBatch(_ batch: Table, fields: [Field], body: Range<Int>, buffer: Bytes, message: Int) throws -> [ArrowValue] {
        if try batch.field(3) != nil { throw buffer.error("message \(message): compressed record batches are not supported") }
        let length = try batch.i64(0)
        guard let nodes = try batch.vector(1, elementSize: 16), let buffers = try batch.vector(2, elementSize: 16) else {
            throw buffer.error("message \(message): record batch without nodes or buffers")
        }
        var cursor = BatchCursor(buffer: buffer, body: body, nodes: nodes, buffers: buffers, message: message)
        let columns = try fields.map { try column($0, cursor: &cursor) }
        // With no columns nothing backs the row count, so it must be zero.
        guard length >= 0, !columns.isEmpty || length == 0, columns.allSatisfy({ Int64($0.count) >= length }) else {
            throw buffer.error("message \(message): a column is shorter than the batch's \(length) rows")
        }
        let names = fields.map(\.name)
        return (0..<Int(length)).map { row in .structure(names: names, values: columns.map { $0[row] }) }
    }

    private static func column(_ field: Field, cursor: inout BatchCursor) throws -> [ArrowValue] {
        let buffer = cursor.buffer
        let (length, nullCount) = try cursor.nextNode(field.name)
        let validity = try cursor.nextBuffer(field.name)
        var isValid: (Int) -> Bool = { _ in true }
        if nullCount > 0 {
            guard validity.count >= (length + 7) / 8 else { throw buffer.error("field \(field.name): validity bitmap too short") }
            let base = validity.lowerBound
            isValid = { buffer.bytes[base + $0 / 8] & (1 << UInt8($0 % 8)) != 0 }
        }
        func values(_ make: (Int) throws -> ArrowValue) rethrows -> [ArrowValue] {
            try (0..<length).map { isValid($0) ? try make($0) : .null }
        }
        switch field.type {
        case let .int(width, signed):
            let data = try cursor.nextBuffer(field.name)
            let size = width / 8
            guard length <= data.count / size else { throw buffer.error("field \(field.name): \(length) values need \(length * size) bytes, have \(data.count)") }
            return try values { row in
                let raw = try buffer.unsigned(data.lowerBound + row * size, size)
                if signed {
                    let shift = UInt64(64 - width)
                    return .int(Int64(bitPattern: raw << shift) >> Int64(shift))
                }
                guard raw <= UInt64(Int64.max) else { throw buffer.error("field \(field.name): value \(raw) out of range") }
                return .int(Int64(raw))
            }
        case .bool:
            let data = try cursor.nextBuffer(field.name)
            guard data.count >= (length + 7) / 8 else { throw buffer.error("field \(field.name): bool bitmap too short") }
            return values { .bool(buffer.bytes[data.lowerBound + $0 / 8] & (1 << UInt8($0 % 8)) != 0) }
        case .utf8, .largeUTF8:
            let offsetSize = field.type == .utf8 ? 4 : 8
            let offsets = try cursor.nextBuffer(field.name)
            let data = try cursor.nextBuffer(field.name)
            let bounds = try offsetsOf(field, length: length, offsets: offsets, size: offsetSize, limit: data.count, buffer: buffer)
            return try values { row in
                let bytes = buffer.bytes[(data.lowerBound + bounds[row])..<(data.lowerBound + bounds[row + 1])]
                guard let text = String(bytes: bytes, encoding: .utf8) else {
                    throw buffer.error("field \(field.name): row \(row) is not UTF-8")
                }
                return .string(text)
            }
        case .list, .largeList:
            let offsets = try cursor.nextBuffer(field.name)
            let offsetSize = field.type == .list ? 4 : 8
            // Offsets are read (and bounded by the buffer) before the child, whose length then
            // bounds them.
            guard length < offsets.count / offsetSize else { throw buffer.error("field \(field.name): offsets buffer too short") }
            let child = try column(field.children[0], cursor: &cursor)
            let bounds = try offsetsOf(field, length: length, offsets: offsets, size: offsetSize, limit: child.count, buffer: buffer)
            return values { .list(Array(child[bounds[$0]..<bounds[$0 + 1]])) }
        case .structure:
            let children = try field.children.map { try column($0, cursor: &cursor) }
            guard children.allSatisfy({ $0.count >= length }) else { throw buffer.error("field \(field.name): a child is shorter than the struct") }
            let names = field.children.map(\.name)
            return values { row in .structure(names: names, values: children.map { $0[row] }) }
        }
    }

    /// The `length + 1` offsets, checked non-decreasing and within `limit`.
    private static func offsetsOf(_ field: Field, length: Int, offsets: Range<Int>, size: Int, limit: Int, buffer: Bytes) throws -> [Int] {
        guard length < offsets.count / size else { throw buffer.error("field \(field.name): offsets buffer too short for \(length) values") }
        var result: [Int] = []
        result.reserveCapacity(length + 1)
        var previous = 0
        for index in 0...length {
            let raw = try buffer.unsigned(offsets.lowerBound + index * size, size)
            let value = size == 4 ? Int(Int32(bitPattern: UInt32(raw))) : Int(Int64(bitPattern: raw))
            guard value >= previous || index == 0, value >= 0, value <= limit else {
                throw buffer.error("field \(field.name): offset \(value) at \(index) is out of order or past \(limit)")
            }
            previous = value
            result.append(value)
        }
        return result
    }
}
