/// Just enough of the protocol-buffer wire format to walk the fields of a message: each field's
/// number and wire type, varints, and the bytes of length-delimited fields, skipping everything
/// else (64-bit and 32-bit fields, and groups, which the parser of `libprotobuf` still accepts).
/// It reads from a buffer it does not own and allocates nothing.
struct ProtobufReader {
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5
    }

    /// One field: its number, its wire type and, for a length-delimited field, its bytes.
    struct Field {
        let number: UInt64
        let wireType: WireType
        let bytes: UnsafeRawBufferPointer
    }

    /// The input does not follow the wire format (a truncated field, a length past the end, an
    /// unknown wire type, field number 0, an unmatched or too deeply nested group).
    struct Malformed: Error {}

    /// `libprotobuf`'s default recursion limit, which also bounds nested groups.
    static let maxGroupDepth = 100

    private let buffer: UnsafeRawBufferPointer
    private var position = 0

    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    var isAtEnd: Bool { position >= buffer.count }

    mutating func varint() throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < buffer.count, shift < 70 else { throw Malformed() }
            let byte = buffer[position]
            position += 1
            if shift < 64 { value |= UInt64(byte & 0x7F) << shift }
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    private mutating func skip(_ count: UInt64) throws(Malformed) {
        guard count <= UInt64(buffer.count - position) else { throw Malformed() }
        position += Int(count)
    }

    private mutating func key() throws(Malformed) -> (number: UInt64, wireType: WireType) {
        let key = try varint()
        guard let wireType = WireType(rawValue: key & 7), key >> 3 != 0, key >> 3 <= 0x1FFF_FFFF else {
            throw Malformed()
        }
        return (key >> 3, wireType)
    }

    /// Skips the body of a group whose start-group key (field `number`) has just been read, up to
    /// and including its end-group key.
    private mutating func skipGroup(_ number: UInt64) throws(Malformed) {
        var open: [UInt64] = []  // bounded by maxGroupDepth
        var current = number
        while true {
            let (fieldNumber, wireType) = try key()
            switch wireType {
            case .varint: _ = try varint()
            case .fixed64: try skip(8)
            case .fixed32: try skip(4)
            case .lengthDelimited: try skip(try varint())
            case .startGroup:
                guard open.count + 1 < Self.maxGroupDepth else { throw Malformed() }
                open.append(current)
                current = fieldNumber
            case .endGroup:
                guard fieldNumber == current else { throw Malformed() }
                guard let outer = open.popLast() else { return }
                current = outer
            }
        }
    }

    /// The next field, or nil at the end of the buffer. Varint, fixed and group fields are
    /// skipped past (their `bytes` are empty); a length-delimited field's `bytes` are its payload.
    mutating func next() throws(Malformed) -> Field? {
        guard !isAtEnd else { return nil }
        let (number, wireType) = try key()
        var bytes = UnsafeRawBufferPointer(start: nil, count: 0)
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64: try skip(8)
        case .fixed32: try skip(4)
        case .lengthDelimited:
            let length = try varint()
            let start = position
            try skip(length)
            bytes = UnsafeRawBufferPointer(rebasing: buffer[start..<position])
        case .startGroup: try skipGroup(number)
        case .endGroup: throw Malformed()  // an end-group key with no group open
        }
        return Field(number: number, wireType: wireType, bytes: bytes)
    }
}
