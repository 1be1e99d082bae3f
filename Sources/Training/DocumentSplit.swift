/// A token file divided by whole documents into a training part and a held-out part: the last
/// ``heldOutDocuments`` documents are held out, the ones before them are for training.
///
/// Taking the tail (rather than, say, every k-th document) keeps both parts contiguous, so each is
/// one ``TokenSlice``; the split depends only on the file and the fraction, so every run and every
/// resumption holds out the same text. Corpora in reading order (chapters, plays, paragraphs) then
/// hold out their end — a shift in topic the held-out loss honestly includes.
public struct DocumentSplit: Sendable {
    /// The training documents' tokens.
    public let training: TokenSlice
    /// The held-out documents' tokens.
    public let heldOut: TokenSlice
    /// The indices of the training documents.
    public let trainingDocuments: Range<Int>
    /// The indices of the held-out documents.
    public let heldOutDocuments: Range<Int>

    /// Holds out `⌈heldOutFraction · documentCount⌉` documents at the end of `file`, at least one,
    /// and keeps at least one for training.
    /// - Throws: ``TrainingError/invalidConfiguration(field:reason:)`` unless `0 < heldOutFraction < 1`,
    ///   ``TrainingError/insufficientData(reason:)`` when the file has fewer than two documents.
    public init(file: TokenFile, heldOutFraction: Double) throws(TrainingError) {
        guard heldOutFraction > 0, heldOutFraction < 1 else {
            throw .invalidConfiguration(field: "heldOutFraction", reason: "\(heldOutFraction) is not in the open interval (0, 1)")
        }
        let documents = file.documentCount
        guard documents >= 2 else {
            throw .insufficientData(reason: "\(file.url.path) has \(documents) document(s); a split needs 2")
        }
        let heldOut = min(documents - 1, max(1, Int((heldOutFraction * Double(documents)).rounded(.up))))
        let boundary = file.documentTokens(at: documents - heldOut).lowerBound
        self.trainingDocuments = 0..<(documents - heldOut)
        self.heldOutDocuments = (documents - heldOut)..<documents
        self.training = TokenSlice(unchecked: file, range: 0..<boundary)
        self.heldOut = TokenSlice(unchecked: file, range: boundary..<file.tokenCount)
    }
}
