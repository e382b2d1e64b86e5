/// What a source file holds, as far as Reel cares.
public struct MediaInfo: Sendable, Hashable, Codable {
    public struct Video: Sendable, Hashable, Codable {
        public let codec: String
        public let geometry: DisplayGeometry
        /// Counter-clockwise rotation in degrees as ffprobe reports it (display matrix).
        public let matrixRotation: Double
        public let pixelFormat: String
        /// Average frame rate; for variable-frame-rate sources, the mean.
        public let frameRate: Double
        /// True when the stream's timestamps do not follow one constant rate.
        public let variableFrameRate: Bool
        /// Frames the container declares (0 when it does not say).
        public let declaredFrames: Int
        public let bitsPerSample: Int

        package init(
            codec: String, geometry: DisplayGeometry, matrixRotation: Double, pixelFormat: String, frameRate: Double,
            variableFrameRate: Bool, declaredFrames: Int, bitsPerSample: Int
        ) {
            self.codec = codec
            self.geometry = geometry
            self.matrixRotation = matrixRotation
            self.pixelFormat = pixelFormat
            self.frameRate = frameRate
            self.variableFrameRate = variableFrameRate
            self.declaredFrames = declaredFrames
            self.bitsPerSample = bitsPerSample
        }
    }

    public struct Audio: Sendable, Hashable, Codable {
        public let codec: String
        public let sampleRate: Int
        public let channels: Int

        package init(codec: String, sampleRate: Int, channels: Int) {
            self.codec = codec
            self.sampleRate = sampleRate
            self.channels = channels
        }
    }

    /// Container format names, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    public let container: String
    public let duration: Double
    public let bitRate: Int
    public let streamCount: Int
    /// The first (default) video stream.
    public let video: Video
    public let audio: Audio?

    package init(container: String, duration: Double, bitRate: Int, streamCount: Int, video: Video, audio: Audio?) {
        self.container = container
        self.duration = duration
        self.bitRate = bitRate
        self.streamCount = streamCount
        self.video = video
        self.audio = audio
    }
}
