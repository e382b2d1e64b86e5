/// Just enough ISO BMFF (ISO/IEC 14496-12) to splice Reel's own CMAF files
/// (``MuxedVariant``): list boxes, and read or patch the few numbers a splice
/// changes. Every offset is checked: a damaged object is an error, never a crash.
enum BMFF {
    struct Box {
        /// The four-character type, e.g. "moov".
        let type: String
        /// The whole box, header included.
        let range: Range<Int>
        /// What follows the header.
        let payload: Range<Int>
    }

    /// The boxes laid end to end in `within` (all of `bytes` by default).
    static func boxes(_ bytes: [UInt8], _ within: Range<Int>? = nil) throws(MediaError) -> [Box] {
        let area = within ?? 0..<bytes.count
        guard area.lowerBound >= 0, area.upperBound <= bytes.count else { throw malformed("a box lies outside its file") }
        var boxes: [Box] = []
        var at = area.lowerBound
        while at < area.upperBound {
            guard area.upperBound - at >= 8 else { throw malformed("a box header is cut short") }
            var size = Int(read(bytes, at))
            var header = 8
            if size == 1 {
                guard area.upperBound - at >= 16 else { throw malformed("a large box header is cut short") }
                let large = UInt64(read(bytes, at + 8)) << 32 | UInt64(read(bytes, at + 12))
                guard large <= UInt64(Int.max) else { throw malformed("a box is larger than memory") }
                size = Int(large)
                header = 16
            } else if size == 0 {
                size = area.upperBound - at
            }
            guard size >= header, size <= area.upperBound - at else { throw malformed("a box's size does not fit its parent") }
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            boxes.append(Box(type: type, range: at..<(at + size), payload: (at + header)..<(at + size)))
            at += size
        }
        return boxes
    }

    /// The one box of `type` among `boxes`.
    static func only(_ type: String, _ boxes: [Box]) throws(MediaError) -> Box {
        let found = boxes.filter { $0.type == type }
        guard found.count == 1, let box = found.first else { throw malformed("expected one \(type) box, found \(found.count)") }
        return box
    }

    /// Where a `tkhd`, `trex` or `tfhd` keeps its track_ID, from the box's start.
    static func trackIDOffset(_ bytes: [UInt8], _ box: Box) throws(MediaError) -> Int {
        let header = box.payload.lowerBound - box.range.lowerBound
        let offset: Int
        switch box.type {
        case "tkhd": offset = header + ((box.payload.isEmpty ? 0 : bytes[box.payload.lowerBound]) == 1 ? 20 : 12)
        case "trex", "tfhd": offset = header + 4
        default: throw malformed("a \(box.type) box has no track number")
        }
        guard offset + 4 <= box.range.count else { throw malformed("a \(box.type) box is too short") }
        return offset
    }

    static func trackID(_ bytes: [UInt8], _ box: Box) throws(MediaError) -> UInt32 {
        read(bytes, box.range.lowerBound + (try trackIDOffset(bytes, box)))
    }

    /// Sets the track_ID of `box` (found in `source`) inside `out`, a copy that
    /// holds the box at `offset`.
    static func setTrackID(_ out: inout [UInt8], boxAt offset: Int, _ source: [UInt8], _ box: Box, to id: UInt32) throws(MediaError) {
        let at = offset + (try trackIDOffset(source, box))
        guard at >= 0, at + 4 <= out.count else { throw malformed("a track number lies outside its copy") }
        write(id, into: &out, at: at)
    }

    /// The movie header's timescale, from the children of a `moov`.
    static func movieTimescale(_ bytes: [UInt8], _ moovKids: [Box]) throws(MediaError) -> UInt32 {
        let header = try only("mvhd", moovKids)
        guard header.payload.count >= 24 else { throw malformed("an mvhd box is too short") }
        return read(bytes, header.payload.lowerBound + (bytes[header.payload.lowerBound] == 1 ? 20 : 12))
    }

    /// Gives the `mfhd` of `moof` (found in `source`; `out` is its copy, from
    /// its first byte) a new sequence_number.
    static func renumber(_ out: inout [UInt8], _ source: [UInt8], _ moof: Box, _ sequence: UInt32) throws(MediaError) {
        let header = try only("mfhd", boxes(source, moof.payload))
        let at = header.payload.lowerBound + 4 - moof.range.lowerBound
        guard header.payload.count >= 8, at + 4 <= out.count else { throw malformed("an mfhd box is too short") }
        write(sequence, into: &out, at: at)
    }

    /// The low byte of a `tfhd`'s flags (0x01: an absolute base data offset follows).
    static func lowFlags(_ bytes: [UInt8], _ box: Box) throws(MediaError) -> UInt8 {
        guard box.payload.count >= 8 else { throw malformed("a tfhd box is too short") }
        return bytes[box.payload.lowerBound + 3]
    }

    /// A box of `type` around `payload`.
    static func box(_ type: String, _ payload: [UInt8]) throws(MediaError) -> [UInt8] {
        guard type.utf8.count == 4, payload.count <= Int(UInt32.max) - 8 else { throw malformed("a \(type) box would be too large") }
        var out = [UInt8](repeating: 0, count: 4)
        write(UInt32(payload.count + 8), into: &out, at: 0)
        return out + Array(type.utf8) + payload
    }

    static func read(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { return 0 }
        return bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func write(_ value: UInt32, into bytes: inout [UInt8], at: Int) {
        guard at >= 0, at + 4 <= bytes.count else { return }
        for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(i))) }
    }

    static func malformed(_ what: String) -> MediaError {
        MediaError(.unreadable, "cannot splice the stored CMAF files: \(what)")
    }
}
