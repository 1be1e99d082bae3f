import Foundation

/// A 64-bit digest of a file's bytes that a checkpoint's manifest records, so that a damaged file
/// (a torn write, a flipped bit, a truncation) is found before it is trusted.
///
/// FNV-1a's step `h ← (h ⊕ w) · p` taken over 64-bit little-endian words (then the remaining bytes
/// one at a time), with FNV's 64-bit offset basis and prime. Each step is a bijection of `h` for a
/// fixed word, so changing any one word always changes the digest; it reads gigabytes per second,
/// which keeps checkpoint verification cheap. It is not a defence against deliberate tampering.
enum ContentDigest {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The digest of `bytes`, continuing from `state`.
    static func update(_ state: UInt64, with bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = state
        let words = bytes.count / 8
        for i in 0..<words {
            h = (h ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))) &* prime
        }
        for i in (words * 8)..<bytes.count {
            h = (h ^ UInt64(bytes[i])) &* prime
        }
        return h
    }

    /// The digest of a file's contents as 16 hexadecimal digits, and its size.
    static func ofFile(at url: URL) throws -> (digest: String, size: Int) {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var h = offsetBasis
        var size = 0
        // Chunks of a multiple of 8 bytes keep the word boundaries those of the whole file.
        while let chunk = try handle.read(upToCount: 1 << 23), !chunk.isEmpty {
            h = chunk.withUnsafeBytes { update(h, with: $0) }
            size += chunk.count
        }
        return (String(h, radix: 16).leftPadded(to: 16), size)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
