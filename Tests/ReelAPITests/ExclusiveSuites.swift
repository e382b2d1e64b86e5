import Testing

/// Suites that run one after another, not beside each other: the progressive
/// playback test races a transcode against a browser and fails when the two
/// cores are also busy with thousands of test connections, a fuzzer's
/// thousand requests or GStreamer's decoding (it did, once, in a full CI run).
@Suite(.serialized) enum ExclusiveSuites {}
