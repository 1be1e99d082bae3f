import Foundation

/// An axis's domain and labelled ticks, chosen from the data ("nice" round numbers).
struct ChartAxis: Equatable {
    var scale: AxisScale
    var lower: Double
    var upper: Double
    var ticks: [Double]
    var labels: [String]

    /// An axis covering `values`; `includeZero` pulls a linear domain down (or up) to zero.
    init(values: [Double], scale: AxisScale, includeZero: Bool, targetTickCount: Int = 6) {
        self.scale = scale
        switch scale {
        case .linear:
            var low = values.min() ?? 0, high = values.max() ?? 1
            if includeZero { low = min(low, 0); high = max(high, 0) }
            if low == high {
                let pad = low == 0 ? 1 : abs(low) * 0.1
                low -= pad
                high += pad
            }
            let step = Self.niceStep(for: (high - low) / Double(targetTickCount))
            // The tolerance keeps 3e-5 / 5e-6 = 6.000000000000001 from adding a tick.
            lower = (low / step + 1e-9).rounded(.down) * step
            upper = (high / step - 1e-9).rounded(.up) * step
            let count = Int(((upper - lower) / step).rounded())
            let start = lower
            let values = (0...count).map { start + Double($0) * step }
            let magnitude = max(abs(lower), abs(upper))
            ticks = values
            labels = values.map { Self.linearLabel($0, step: step, magnitude: magnitude) }
        case .logarithmic:
            let positive = values.filter { $0 > 0 }
            var low = (log10(positive.min() ?? 1)).rounded(.down)
            var high = (log10(positive.max() ?? 10)).rounded(.up)
            if low == high { low -= 1; high += 1 }
            lower = pow(10, low)
            upper = pow(10, high)
            let decades = Int(high - low)
            let stride = max(1, Int((Double(decades) / Double(targetTickCount)).rounded(.up)))
            let exponents = Swift.stride(from: Int(low), through: Int(high), by: stride)
            ticks = exponents.map { pow(10, Double($0)) }
            labels = exponents.map { Self.powerOfTenLabel($0) }
        }
    }

    /// The position of `value` as a fraction of the axis length (`0` at `lower`, `1` at `upper`).
    func fraction(of value: Double) -> Double {
        switch scale {
        case .linear: return (value - lower) / (upper - lower)
        case .logarithmic: return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }

    /// Whether `value` can be drawn on this axis.
    func canPlot(_ value: Double) -> Bool {
        value.isFinite && (scale == .linear || value > 0)
    }

    /// 1, 2, 5 or 10 times a power of ten, the closest to `rough`.
    static func niceStep(for rough: Double) -> Double {
        guard rough.isFinite, rough > 0 else { return 1 }
        let magnitude = pow(10, log10(rough).rounded(.down))
        let residual = rough / magnitude
        let nice: Double = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10
        return nice * magnitude
    }

    /// Tick label for a linear axis: plain decimals, SI suffixes (`k`, `M`, `B`, `T`) for large
    /// numbers, `2e-5`-style for small steps.
    static func linearLabel(_ value: Double, step: Double, magnitude: Double) -> String {
        if abs(value) < step * 1e-9 { return "0" }
        if magnitude >= 1e4 {
            let (unit, suffix): (Double, String) =
                magnitude >= 1e12 ? (1e12, "T") : magnitude >= 1e9 ? (1e9, "B") : magnitude >= 1e6 ? (1e6, "M") : (1e3, "k")
            return decimal(value / unit, step: step / unit) + suffix
        }
        if step < 1e-3 {
            let exponent = (log10(abs(value)) + 1e-9).rounded(.down)
            let unit = pow(10, exponent)
            return decimal(value / unit, step: step / unit) + "e" + String(Int(exponent))
        }
        return decimal(value, step: step)
    }

    /// `10^k` written as `1e{k}` (`1`, `10` and `100` stay plain).
    static func powerOfTenLabel(_ exponent: Int) -> String {
        (0...2).contains(exponent) ? String(Int(pow(10, Double(exponent)))) : "1e\(exponent)"
    }

    /// `value` with as many decimals as `step` needs, trailing zeros removed (`0.010` → `0.01`).
    static func decimal(_ value: Double, step: Double) -> String {
        var decimals = max(0, Int(-(log10(step) + 1e-9).rounded(.down)))
        while decimals < 12, abs(step * pow(10, Double(decimals)) - (step * pow(10, Double(decimals))).rounded()) > 1e-6 {
            decimals += 1
        }
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
