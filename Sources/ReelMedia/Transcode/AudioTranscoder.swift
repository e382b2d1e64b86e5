import CFFmpeg
import Foundation
import ReelManifests

/// Decodes a source's audio once, resamples it (libswresample) to 48 kHz
/// float planar, and encodes AAC-LC into one CMAF audio rendition shared by
/// every video rung (`audio/init.mp4`, `audio/0.m4s`, …), with segments cut
/// at the same boundaries as the video.
///
/// Blocking: run it on a thread the transcode owns. The encoder's priming
/// (1,024 samples, 21 ms) is not compensated by an edit list in fragmented
/// MP4; that offset is below what viewers notice.
public enum AudioTranscoder {
    public static let sampleRate: Int32 = 48_000

    static func transcode(
        _ source: MediaSource, to folder: URL, segmentSeconds: Double = 2, bitrate: Int = 128_000,
        onSegment: @escaping (SegmentRecord) -> Void = { _ in }
    ) throws(MediaError) -> MediaTrack? {
        let input = try source.open()
        guard let format = input.format else { throw MediaError(.unreadable, "not a readable media file") }
        guard avformat_find_stream_info(format, nil) >= 0 else { throw MediaError(.unreadable, "the file's streams cannot be read") }
        var decoderCodec: UnsafePointer<AVCodec>?
        let index = av_find_best_stream(format, AVMEDIA_TYPE_AUDIO, -1, -1, &decoderCodec, 0)
        guard index >= 0, let decoderCodec, let stream = cff_stream(format, UInt32(index)), let parameters = stream.pointee.codecpar else {
            return nil  // No audio: the video plays silent.
        }
        var decoder = avcodec_alloc_context3(decoderCodec)
        defer { avcodec_free_context(&decoder) }
        guard let decoder, avcodec_parameters_to_context(decoder, parameters) >= 0, avcodec_open2(decoder, decoderCodec, nil) >= 0 else {
            throw MediaError(.unsupported, "cannot decode the \(String(cString: avcodec_get_name(parameters.pointee.codec_id))) audio")
        }
        let channels = min(2, max(1, Int32(decoder.pointee.ch_layout.nb_channels)))
        guard let aac = avcodec_find_encoder(AV_CODEC_ID_AAC) else { throw MediaError(.unsupported, "this FFmpeg build has no AAC encoder") }
        var encoder = avcodec_alloc_context3(aac)
        defer { avcodec_free_context(&encoder) }
        guard let encoder else { throw MediaError(.unsupported, "out of memory for the AAC encoder") }
        av_channel_layout_default(&encoder.pointee.ch_layout, channels)
        encoder.pointee.sample_rate = sampleRate
        encoder.pointee.sample_fmt = AV_SAMPLE_FMT_FLTP
        encoder.pointee.bit_rate = Int64(bitrate)
        encoder.pointee.time_base = AVRational(num: 1, den: sampleRate)
        encoder.pointee.flags |= Int32(bitPattern: UInt32(AV_CODEC_FLAG_GLOBAL_HEADER))
        guard avcodec_open2(encoder, aac, nil) >= 0 else { throw MediaError(.unsupported, "cannot open the AAC encoder") }
        let frameSize = Int32(encoder.pointee.frame_size > 0 ? encoder.pointee.frame_size : 1024)

        // Set up from the first decoded frame, not the decoder's context: some
        // containers (PCM in Matroska) describe the layout differently from
        // the frames, and libswresample refuses frames that differ from its setup.
        var resampler: OpaquePointer?
        defer { swr_free(&resampler) }
        guard let fifo = av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, channels, frameSize * 4) else { throw MediaError(.unsupported, "out of memory") }
        defer { av_audio_fifo_free(fifo) }

        let writer = try FragmentedWriter(folder: folder, encoder: encoder, onSegment: onSegment)
        var packet = av_packet_alloc(), frame = av_frame_alloc(), converted = av_frame_alloc(), outFrame = av_frame_alloc()
        defer { av_packet_free(&packet); av_frame_free(&frame); av_frame_free(&converted); av_frame_free(&outFrame) }
        guard let packet, let frame, let converted, let outFrame else { throw MediaError(.unsupported, "out of memory") }
        let boundary = Int64((segmentSeconds * Double(sampleRate)).rounded())
        var samplesOut: Int64 = 0
        var nextBoundary: Int64 = 0

        // The encoder's first packet carries its priming samples before time 0
        // (pts -1024). Without an edit list in CMAF, the track starts with
        // them at 0: shift every packet by the priming, so the segments' times
        // in the catalog and manifests are the times in the files, and the
        // priming belongs to the first segment instead of making one of its own.
        let priming = Int64(max(0, encoder.pointee.initial_padding))
        // Each packet is written when the next one arrives, so that the last
        // one, the encoder's padding past a boundary the video ends on, joins
        // the last segment instead of making a 21 ms segment of its own.
        var held = av_packet_alloc(), heldStarts = false, holding = false
        defer { av_packet_free(&held) }
        guard let held else { throw MediaError(.unsupported, "out of memory") }
        func encode(_ input: UnsafeMutablePointer<AVFrame>?) throws(MediaError) {
            guard avcodec_send_frame(encoder, input) >= 0 else { throw MediaError(.unsupported, "the AAC encoder refused audio") }
            while avcodec_receive_packet(encoder, packet) >= 0 {
                packet.pointee.pts += priming
                packet.pointee.dts += priming
                let starts = packet.pointee.pts >= nextBoundary
                if starts { nextBoundary += boundary * Int64(max(1, (packet.pointee.pts - nextBoundary) / boundary + 1)) }
                if holding { try writer.write(held, encoderTimeBase: encoder.pointee.time_base, startsSegment: heldStarts) }
                av_packet_unref(held)
                av_packet_move_ref(held, packet)
                heldStarts = starts
                holding = true
            }
            if input == nil, holding {
                try writer.write(held, encoderTimeBase: encoder.pointee.time_base, startsSegment: false)
                av_packet_unref(held)
                holding = false
            }
        }

        /// Moves whole encoder frames from the FIFO to the encoder (all that is left when `flush`).
        func drain(flush: Bool) throws(MediaError) {
            while av_audio_fifo_size(fifo) >= frameSize || (flush && av_audio_fifo_size(fifo) > 0) {
                let n = min(frameSize, av_audio_fifo_size(fifo))
                av_frame_unref(outFrame)
                outFrame.pointee.nb_samples = n
                outFrame.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
                outFrame.pointee.sample_rate = sampleRate
                av_channel_layout_copy(&outFrame.pointee.ch_layout, &encoder.pointee.ch_layout)
                guard av_frame_get_buffer(outFrame, 0) >= 0 else { throw MediaError(.unsupported, "out of memory") }
                let read = outFrame.pointee.extended_data.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: Int(channels)) {
                    av_audio_fifo_read(fifo, $0, n)
                }
                outFrame.pointee.pts = samplesOut
                samplesOut += Int64(read)
                try source.budget.check(presentation: Double(samplesOut) / Double(sampleRate))
                try encode(outFrame)
            }
        }

        func resample(_ input: UnsafeMutablePointer<AVFrame>?) throws(MediaError) {
            if resampler == nil {
                guard let input else { return }
                guard swr_alloc_set_opts2(&resampler, &encoder.pointee.ch_layout, AV_SAMPLE_FMT_FLTP, sampleRate,
                                          &input.pointee.ch_layout, AVSampleFormat(rawValue: input.pointee.format),
                                          input.pointee.sample_rate, 0, nil) >= 0,
                    swr_init(resampler) >= 0
                else { throw MediaError(.unsupported, "cannot resample this audio (\(input.pointee.sample_rate) Hz)") }
            }
            av_frame_unref(converted)
            converted.pointee.format = AV_SAMPLE_FMT_FLTP.rawValue
            converted.pointee.sample_rate = sampleRate
            av_channel_layout_copy(&converted.pointee.ch_layout, &encoder.pointee.ch_layout)
            let rc = swr_convert_frame(resampler, converted, input)
            guard rc >= 0 else {
                throw MediaError(.unreadable, "the audio could not be resampled (\(MediaError.text(rc)))")
            }
            if converted.pointee.nb_samples > 0 {
                _ = converted.pointee.extended_data.withMemoryRebound(to: UnsafeMutableRawPointer?.self, capacity: Int(channels)) {
                    av_audio_fifo_write(fifo, $0, converted.pointee.nb_samples)
                }
            }
            try drain(flush: false)
        }

        func receiveDecoded() throws(MediaError) {
            while avcodec_receive_frame(decoder, frame) >= 0 {
                // "2 channels, order unknown" (PCM in Matroska): call it the usual
                // layout, as libswresample does internally, or it sees a changed input.
                if frame.pointee.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC {
                    let count = frame.pointee.ch_layout.nb_channels
                    av_channel_layout_uninit(&frame.pointee.ch_layout)
                    av_channel_layout_default(&frame.pointee.ch_layout, count)
                }
                try resample(frame)
                av_frame_unref(frame)
            }
        }

        var packetsRead = 0
        while av_read_frame(format, packet) >= 0 {
            packetsRead += 1
            if packetsRead % 256 == 0 { try source.budget.check(presentation: 0) }
            if packet.pointee.stream_index == index, avcodec_send_packet(decoder, packet) >= 0 {
                av_packet_unref(packet)
                try receiveDecoded()
            } else {
                av_packet_unref(packet)
            }
        }
        avcodec_send_packet(decoder, nil)
        try receiveDecoded()
        try resample(nil)
        try drain(flush: true)
        try encode(nil)
        try writer.finish()
        return .audio(name: folder.lastPathComponent, sampleRate: Int(sampleRate), channels: Int(channels),
                      timescale: Int(writer.timeBase.den / max(1, writer.timeBase.num)), segments: writer.segments)
    }
}
