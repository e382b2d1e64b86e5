/// Why a media file cannot be used, said so that the uploader understands it.
///
/// Every code here is permanent for that input: a job that hits one fails at
/// once and is not retried.
public struct MediaError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: Sendable, Hashable { case unreadable, empty, notVideo, unsupported, refusedContainer, tooLarge, overBudget }
        let base: Base
        /// The container could not be opened or parsed (corrupt, truncated, unknown format).
        public static let unreadable = Code(base: .unreadable)
        /// The file has no bytes.
        public static let empty = Code(base: .empty)
        /// The file is readable but holds no video (audio only, an image, a text file).
        public static let notVideo = Code(base: .notVideo)
        /// Video that Reel does not take (too large, no decoder).
        public static let unsupported = Code(base: .unsupported)
        /// A container Reel does not open (playlists, lists of files, manifests, anything off `MediaLimits.formats`).
        public static let refusedContainer = Code(base: .refusedContainer)
        /// Beyond a `MediaLimits` bound: size, pixels, duration, frame rate, streams, or decoding past the declared length.
        public static let tooLarge = Code(base: .tooLarge)
        /// The job ran past its time budget (`MediaLimits.budgetSeconds`).
        public static let overBudget = Code(base: .overBudget)
        public var description: String { "\(base)" }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
