import CHalfKernels
import XCTest
@testable import TensorCore

/// Single-query attention over binary16 keys and values (a decoding step over a half-precision KV
/// cache): the widening kernel's F16C and portable paths against the scalar reference on every bit
/// pattern, and the attention against a Double reference on the half-rounded inputs.
final class HalfAttentionTests: XCTestCase {
    /// Both widening paths give the reference's value for every binary16 bit pattern (NaNs: a NaN of
    /// the same sign), at lengths that exercise the 8-lane loop and its tail.
    func testWideningPathsAgreeOnEveryBitPattern() {
        let patterns = (0...UInt16.max).map { $0 }
        var portable = [Float](repeating: 0, count: patterns.count)
        var dispatched = [Float](repeating: 0, count: patterns.count)
        patterns.withUnsafeBufferPointer { source in
            chk_half_to_float_portable(source.baseAddress!, &portable, patterns.count)
            // An odd count, so the tail after the last group of eight runs too.
            chk_half_to_float(source.baseAddress!, &dispatched, patterns.count - 3)
            chk_half_to_float(source.baseAddress! + patterns.count - 3, &dispatched[patterns.count - 3], 3)
        }
        var mismatches = 0
        for (i, bits) in patterns.enumerated() {
            let reference = HalfPrecision.float(fromFloat16Bits: bits)
            for value in [portable[i], dispatched[i]] {
                if reference.isNaN {
                    if !value.isNaN || value.sign != reference.sign { mismatches += 1 }
                } else if value.bitPattern != reference.bitPattern {
                    mismatches += 1
                }
            }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(portable[0x3C00], 1)
        XCTAssertEqual(portable[0x0001], Float(sign: .plus, exponent: -24, significand: 1))   // smallest subnormal
        XCTAssertEqual(dispatched[0x7BFF], 65504)
    }

    /// The scores and weighted values of the half kernel equal those of the float math on the
    /// widened rows: against the Double reference, with one range and with several, through the
    /// fused AVX2 + F16C kernels and the forced portable path (a widened tile, the float loops).
    func testMatchesDoubleReferenceOnHalfRoundedRows() {
        for (tk, hq, hkv, d, seed) in [(700, 9, 3, 64, UInt64(1401)), (300, 24, 8, 64, 1402), (37, 6, 2, 5, 1403), (1, 4, 1, 8, 1404)] {
            var data = RandomInputs(seed: seed)
            let q = data.normal([1, 1, hq, d])
            let keyBits = data.normal([tk, hkv, d]).scalars.map(HalfPrecision.float16Bits)
            let valueBits = data.normal([tk, hkv, d]).scalars.map(HalfPrecision.float16Bits)
            let k = keyBits.map(HalfPrecision.float(fromFloat16Bits:)), v = valueBits.map(HalfPrecision.float(fromFloat16Bits:))
            let expected = DoubleReference.attention(q: q.scalars, k: k, v: v, batch: 1, tq: 1, tk: tk, hq: hq, hkv: hkv,
                                                     d: d, dv: d, isCausal: true)
            var results: [[Float]] = []
            for portable in [false, true] {
                chk_force_portable(portable ? 1 : 0)
                defer { chk_force_portable(0) }
                for splits in [1, 3] {
                    let out = decode(q, keyBits, valueBits, tk: tk, hkv: hkv, splits: splits)
                    assertClose(out, expected, relativeTolerance: 1e-5, absoluteTolerance: 2e-6,
                                "Tk \(tk) Hq \(hq) Hkv \(hkv) splits \(splits) portable \(portable)")
                    results.append(out)
                }
            }
            assertClose(results[0], results[2].map(Double.init), relativeTolerance: 1e-5, absoluteTolerance: 1e-6,
                        "fused and portable paths")
            assertClose(results[1], results[3].map(Double.init), relativeTolerance: 1e-5, absoluteTolerance: 1e-6)
            // The public entry point equals the float kernel on the widened rows up to Float rounding.
            let public16 = keyBits.withUnsafeBufferPointer { pk in
                valueBits.withUnsafeBufferPointer { pv in
                    scaledDotProductAttention(query: q, float16Keys: pk.baseAddress!, values: pv.baseAddress!,
                                              keyCount: tk, keyValueHeads: hkv)
                }
            }
            XCTAssertEqual(public16.shape, [1, 1, hq, d])
            let float = scaledDotProductAttention(query: q, key: Tensor(shape: [1, tk, hkv, d], scalars: k),
                                                  value: Tensor(shape: [1, tk, hkv, d], scalars: v))
            assertClose(public16.scalars, float.scalars.map(Double.init), relativeTolerance: 1e-5, absoluteTolerance: 1e-6)
        }
    }

    /// The fused C kernels, dispatched and portable, against Double sums over one tile: eight-row
    /// groups and a row tail (13 rows), a head size with a tail after the 8-lane loop (27), grouped
    /// heads, head sizes the weighted sum takes 64 outputs at a time in registers (64, 128).
    func testFusedKernelsMatchDoubleSums() {
        for (rows, hq, hkv, d) in [(32, 9, 3, 64), (13, 4, 2, 16), (7, 6, 2, 27), (1, 4, 4, 8), (5, 4, 2, 128)] {
            var data = RandomInputs(seed: UInt64(1430 + d))
            let q = data.normal([hq, d]).scalars
            let bits = data.normal([rows, hkv, d]).scalars.map(HalfPrecision.float16Bits)
            let p = data.normal([hq, rows]).scalars
            let widened = bits.map(HalfPrecision.float(fromFloat16Bits:))
            let (rk, group, scale) = (hkv * d, hq / hkv, Float(0.3))
            var expectedScores = [Double](repeating: 0, count: hq * rows)
            var expectedOut = [Double](repeating: 0, count: hq * d)
            for h in 0..<hq {
                for j in 0..<rows {
                    var s = 0.0
                    for c in 0..<d { s += Double(q[h * d + c]) * Double(widened[j * rk + (h / group) * d + c]) }
                    expectedScores[h * rows + j] = Double(scale) * s
                    for c in 0..<d { expectedOut[h * d + c] += Double(p[h * rows + j]) * Double(widened[j * rk + (h / group) * d + c]) }
                }
            }
            for portable in [false, true] {
                var scores = [Float](repeating: .nan, count: hq * rows)
                var out = [Float](repeating: 0, count: hq * d)
                if portable {
                    chk_half_scores_portable(q, bits, rows, rk, hq, group, d, scale, &scores, rows)
                    chk_half_accumulate_portable(p, rows, bits, rows, rk, hq, group, d, &out, d)
                } else {
                    chk_half_scores(q, bits, rows, rk, hq, group, d, scale, &scores, rows)
                    chk_half_accumulate(p, rows, bits, rows, rk, hq, group, d, &out, d)
                }
                assertClose(scores, expectedScores, relativeTolerance: 1e-5, absoluteTolerance: 1e-5, "scores d \(d) portable \(portable)")
                assertClose(out, expectedOut, relativeTolerance: 1e-5, absoluteTolerance: 1e-5, "weighted sum d \(d) portable \(portable)")
            }
        }
    }

    /// A long context at two threads splits along the keys by itself and still matches.
    func testPublicPathSplitsLongContextsOnTwoThreads() {
        let saved = Parallelism.threadCount
        defer { Parallelism.threadCount = saved }
        Parallelism.threadCount = 2
        let (tk, hq, hkv, d) = (4000, 9, 3, 64)
        var data = RandomInputs(seed: 1421)
        let q = data.normal([1, hq, d])                       // rank 3
        let keyBits = data.normal([tk, hkv, d]).scalars.map(HalfPrecision.float16Bits)
        let valueBits = data.normal([tk, hkv, d]).scalars.map(HalfPrecision.float16Bits)
        let out = keyBits.withUnsafeBufferPointer { pk in
            valueBits.withUnsafeBufferPointer { pv in
                scaledDotProductAttention(query: q, float16Keys: pk.baseAddress!, values: pv.baseAddress!,
                                          keyCount: tk, keyValueHeads: hkv)
            }
        }
        XCTAssertEqual(out.shape, [1, hq, d])
        let expected = DoubleReference.attention(q: q.scalars, k: keyBits.map(HalfPrecision.float(fromFloat16Bits:)),
                                                 v: valueBits.map(HalfPrecision.float(fromFloat16Bits:)), batch: 1, tq: 1,
                                                 tk: tk, hq: hq, hkv: hkv, d: d, dv: d, isCausal: true)
        assertClose(out.scalars, expected, relativeTolerance: 1e-5, absoluteTolerance: 2e-6)
    }

    private func decode(_ q: Tensor, _ keys: [UInt16], _ values: [UInt16], tk: Int, hkv: Int, splits: Int) -> [Float] {
        let (hq, d) = (q.shape[2], q.shape[3])
        let g = AttentionKernels.Geometry(query: [1, 1, hq, d], key: [1, tk, hkv, d], value: [1, tk, hkv, d], isCausal: true)
        var out = [Float](repeating: .nan, count: hq * d)
        q.withUnsafeBufferPointer { pq in
            keys.withUnsafeBufferPointer { pk in
                values.withUnsafeBufferPointer { pv in
                    out.withUnsafeMutableBufferPointer { po in
                        HalfAttentionKernels.singleQuery(pq.baseAddress!, pk.baseAddress!, pv.baseAddress!, geometry: g,
                                                         scale: 1 / Float(d).squareRoot(), output: po.baseAddress!,
                                                         splits: splits)
                    }
                }
            }
        }
        return out
    }
}
