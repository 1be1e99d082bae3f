import CZlib
import Foundation

/// Reads a data file whole into memory, inflating it when it is gzip-compressed.
///
/// Data sets arrive as plain JSON Lines or as `.jsonl.gz`; the gzip magic bytes decide, not the file
/// name, so a renamed file still reads. Decompression goes through zlib's `inflate` with
/// `windowBits` 31 (gzip header and CRC checked by zlib), and concatenated gzip members are read
/// one after another as `gzip -d` does.
public enum GzipReader {
    /// The default ceiling on the bytes a file may inflate to (1 GiB): the largest data set here
    /// (HellaSwag's OLMES requests) inflates to under 400 MB.
    public static let defaultMaximumBytes = 1 << 30

    /// Whether `bytes` start with the gzip magic number (1f 8b).
    public static func isGzip(_ bytes: Data) -> Bool {
        bytes.count >= 2 && bytes[bytes.startIndex] == 0x1f && bytes[bytes.startIndex + 1] == 0x8b
    }

    /// The contents of the file at `path`, inflated when it is gzip-compressed.
    ///
    /// - Throws: `EvaluationError.invalidFile` when the file cannot be read, is a truncated or
    ///   corrupt gzip stream, or holds more than `maximumBytes` (compressed or inflated).
    public static func contents(ofFile path: String, maximumBytes: Int = defaultMaximumBytes) throws -> Data {
        let raw: Data
        do {
            raw = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw EvaluationError.invalidFile(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        guard isGzip(raw) else {
            if raw.count > maximumBytes {
                throw EvaluationError.invalidFile(path: path, reason: "\(raw.count) bytes, more than the limit of \(maximumBytes)")
            }
            return raw
        }
        return try inflate(raw, path: path, maximumBytes: maximumBytes)
    }

    /// Inflates the gzip stream `compressed` (one or more members); `path` only names it in errors.
    public static func inflate(_ compressed: Data, path: String, maximumBytes: Int = defaultMaximumBytes) throws -> Data {
        var output = Data()
        // Grown by chunks as output arrives, never sized from the gzip trailer's ISIZE field (which
        // an untrusted file can set to anything).
        let chunkSize = 1 << 16
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var stream = z_stream()
        let version = zlibVersion()
        guard inflateInit2_(&stream, 31, version, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw EvaluationError.invalidFile(path: path, reason: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }

        try compressed.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
            guard let base = input.bindMemory(to: UInt8.self).baseAddress else { return }
            var consumed = 0
            while consumed < input.count {
                // avail_in is 32-bit; feed at most 1 GiB at a time.
                let feed = min(input.count - consumed, 1 << 30)
                stream.next_in = UnsafeMutablePointer(mutating: base + consumed)
                stream.avail_in = UInt32(feed)
                var status: Int32 = Z_OK
                repeat {
                    status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                        stream.next_out = out.baseAddress
                        stream.avail_out = UInt32(chunkSize)
                        let result = CZlib.inflate(&stream, Z_NO_FLUSH)
                        let produced = chunkSize - Int(stream.avail_out)
                        if produced > 0 { output.append(out.baseAddress!, count: produced) }
                        return result
                    }
                    if output.count > maximumBytes {
                        throw EvaluationError.invalidFile(path: path, reason: "inflates to more than the limit of \(maximumBytes) bytes")
                    }
                    switch status {
                    case Z_OK, Z_STREAM_END, Z_BUF_ERROR:
                        break
                    case Z_DATA_ERROR:
                        let message = stream.msg.map { String(cString: $0) } ?? "corrupt data"
                        throw EvaluationError.invalidFile(path: path, reason: "gzip: \(message) after \(output.count) inflated bytes")
                    default:
                        throw EvaluationError.invalidFile(path: path, reason: "gzip: zlib error \(status)")
                    }
                } while status == Z_OK && (stream.avail_in > 0 || stream.avail_out == 0)
                consumed += feed - Int(stream.avail_in)
                if status == Z_STREAM_END {
                    // Another member may follow (concatenated gzip files); trailing zero padding is
                    // accepted as gzip -d does.
                    let rest = input[consumed...]
                    if rest.allSatisfy({ $0 == 0 }) { return }
                    guard inflateReset(&stream) == Z_OK else {
                        throw EvaluationError.invalidFile(path: path, reason: "gzip: cannot start the next member")
                    }
                    continue
                }
                if status == Z_BUF_ERROR && stream.avail_in == 0 && consumed >= input.count { break }
                if status == Z_BUF_ERROR && feed - Int(stream.avail_in) == 0 {
                    throw EvaluationError.invalidFile(path: path, reason: "gzip: no progress at byte \(consumed)")
                }
            }
            // The input ended inside a member: the file is truncated.
            throw EvaluationError.invalidFile(path: path, reason: "gzip: truncated (input ends after \(output.count) inflated bytes)")
        }
        return output
    }
}
