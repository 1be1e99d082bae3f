/// The loops behind element-wise operations: one SIMD body and one scalar body per operation,
/// specialised by the compiler for each operation type. Work is split over ``Parallelism`` for
/// large tensors.
@usableFromInline
protocol UnaryKernel {
    static func apply(_ x: SIMD16<Float>) -> SIMD16<Float>
    static func apply(_ x: Float) -> Float
}

@usableFromInline
protocol BinaryKernel {
    static func apply(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float>
    static func apply(_ a: Float, _ b: Float) -> Float
}

/// Elements per parallel chunk below which splitting costs more than it gains.
@usableFromInline let minimumParallelChunk = 1 << 16

extension Tensor {
    /// `out[i] = K(x[i])`.
    @inlinable
    static func mapElements<K: UnaryKernel>(_ x: Tensor, _: K.Type) -> Tensor {
        Tensor(shape: x.shape) { out in
            let src = UnsafePointer(x.storage.baseAddress)
            let dst = out.baseAddress!
            Parallelism.forEachChunk(count: x.count, minimumChunk: minimumParallelChunk) { range in
                mapRange(src, dst, range, K.self)
            }
        }
    }

    @inlinable @inline(__always)
    static func mapRange<K: UnaryKernel>(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                         _ range: Range<Int>, _: K.Type) {
        var i = range.lowerBound
        let end = range.upperBound
        while i + 16 <= end {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: K.apply(v), as: SIMD16<Float>.self)
            i += 16
        }
        while i < end { dst[i] = K.apply(src[i]); i += 1 }
    }

    /// `out[i] = K(a[i], b[i])` for equal shapes.
    @inlinable
    static func combine<K: BinaryKernel>(_ a: Tensor, _ b: Tensor, _: K.Type) -> Tensor {
        precondition(a.count == b.count, "element counts \(a.count) and \(b.count) differ")
        return Tensor(shape: a.shape) { out in
            let pa = UnsafePointer(a.storage.baseAddress), pb = UnsafePointer(b.storage.baseAddress)
            let dst = out.baseAddress!
            Parallelism.forEachChunk(count: a.count, minimumChunk: minimumParallelChunk) { range in
                zipRange(pa, pb, dst, range, K.self)
            }
        }
    }

    @inlinable @inline(__always)
    static func zipRange<K: BinaryKernel>(_ pa: UnsafePointer<Float>, _ pb: UnsafePointer<Float>,
                                          _ dst: UnsafeMutablePointer<Float>, _ range: Range<Int>, _: K.Type) {
        var i = range.lowerBound
        let end = range.upperBound
        while i + 16 <= end {
            let va = UnsafeRawPointer(pa + i).loadUnaligned(as: SIMD16<Float>.self)
            let vb = UnsafeRawPointer(pb + i).loadUnaligned(as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: K.apply(va, vb), as: SIMD16<Float>.self)
            i += 16
        }
        while i < end { dst[i] = K.apply(pa[i], pb[i]); i += 1 }
    }

    /// `out[i] = K(a[i], s)` (or `K(s, a[i])` when `scalarFirst`).
    @inlinable
    static func combine<K: BinaryKernel>(_ a: Tensor, scalar s: Float, scalarFirst: Bool, _: K.Type) -> Tensor {
        Tensor(shape: a.shape) { out in
            let src = UnsafePointer(a.storage.baseAddress)
            let dst = out.baseAddress!
            let vs = SIMD16<Float>(repeating: s)
            Parallelism.forEachChunk(count: a.count, minimumChunk: minimumParallelChunk) { range in
                var i = range.lowerBound
                while i + 16 <= range.upperBound {
                    let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD16<Float>.self)
                    let r = scalarFirst ? K.apply(vs, v) : K.apply(v, vs)
                    UnsafeMutableRawPointer(dst + i).storeBytes(of: r, as: SIMD16<Float>.self)
                    i += 16
                }
                while i < range.upperBound {
                    dst[i] = scalarFirst ? K.apply(s, src[i]) : K.apply(src[i], s)
                    i += 1
                }
            }
        }
    }
}

@usableFromInline enum AddKernel: BinaryKernel {
    @inlinable @inline(__always) static func apply(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a + b }
    @inlinable @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b }
}
@usableFromInline enum SubtractKernel: BinaryKernel {
    @inlinable @inline(__always) static func apply(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a - b }
    @inlinable @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b }
}
@usableFromInline enum MultiplyKernel: BinaryKernel {
    @inlinable @inline(__always) static func apply(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a * b }
    @inlinable @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b }
}
@usableFromInline enum DivideKernel: BinaryKernel {
    @inlinable @inline(__always) static func apply(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a / b }
    @inlinable @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b }
}
