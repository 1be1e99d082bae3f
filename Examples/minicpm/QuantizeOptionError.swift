/// An option of `minicpm quantize` that turned out not to fit the model or the calibration text
/// once they were read (so found after `validate()`); names the option and the value at fault.
struct QuantizeOptionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
