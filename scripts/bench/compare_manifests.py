#!/usr/bin/env python3
"""Compares Reel's packaging of a ladder with Shaka Packager's packaging of the
same encoded rungs, attribute by attribute (scripts/checks/conformance-shaka.sh).

Usage: compare_manifests.py REEL_DIR SHAKA_DIR

Both folders hold master.m3u8, manifest.mpd and a folder per rendition with
index.m3u8 and init.mp4. Renditions are matched by name (1080p, …, audio).
Every attribute is printed with both values; a difference must be listed in
EXPLAINED (with the section of docs/conformance.md that explains it), or the
script exits 1.
"""

import os
import re
import struct
import sys
import xml.etree.ElementTree as ET

# (kind, attribute) -> the section of docs/conformance.md that explains the difference.
SEGMENT_BOXES = "segment boxes: the same mdat, Shaka adds styp, sidx and a larger moof"
EXPLAINED = {
    ("master", "BANDWIDTH"): SEGMENT_BOXES,
    ("master", "AVERAGE-BANDWIDTH"): SEGMENT_BOXES,
    ("mpd", "bandwidth"): SEGMENT_BOXES,
    ("master", "AUDIO"): "HLS variants that carry their audio",
    ("master", "TYPE"): "HLS variants that carry their audio",
    ("master", "CHANNELS"): "HLS variants that carry their audio",
    ("master", "DEFAULT"): "HLS variants that carry their audio",
    ("master", "AUTOSELECT"): "HLS variants that carry their audio",
    ("master", "LANGUAGE"): "HLS variants that carry their audio",
    ("master", "NAME"): "HLS variants that carry their audio",
    ("master", "EXT-X-VERSION"): "EXT-X-VERSION in the master",
    ("playlist", "TARGETDURATION"): "target duration: nearest integer, per playlist",
    ("playlist", "total"): "EXTINF precision",
    ("mpd", "startWithSAP"): "startWithSAP on the video AdaptationSet",
    ("mpd", "mediaPresentationDuration"): "mediaPresentationDuration: the longest track",
    ("mpd", "profiles"): "the CMAF profile",
    ("init", "/ftyp"): "brands",
    ("init", "/moov/mvhd"): "movie timescale",
    ("init", "/moov/mvex/mehd"): "no mehd or btrt: the init segment is written first",
    ("init", "/moov/trak/mdia/minf/stbl/stsd/avc1/btrt"): "no mehd or btrt: the init segment is written first",
    ("init", "/moov/trak/mdia/minf/stbl/stsd/mp4a/btrt"): "no mehd or btrt: the init segment is written first",
    ("init", "/moov/meta"): "metadata boxes",
    ("init", "/moov/udta"): "metadata boxes",
    ("init", "/moov/udta/meta"): "metadata boxes",
}


def attributes(text):
    """EXT-X-… attribute list → dict (quoted values unquoted)."""
    out = {}
    for key, value in re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', text):
        out[key] = value.strip('"')
    return out


def master(path):
    lines = open(path).read().splitlines()
    variants, media = {}, {}
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            uri = lines[i + 1].strip()
            # Reel's variants that carry the audio are {rung}.av/: matched with the rung.
            variants[re.sub(r"\.av$", "", uri.split("/")[0])] = attributes(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MEDIA:"):
            a = attributes(line.split(":", 1)[1])
            media[a.get("URI", "").split("/")[0]] = a
    tags = {line.split(":")[0] for line in lines if line.startswith("#EXT")}
    return variants, media, tags


def playlist(path):
    text = open(path).read()
    lines = text.splitlines()
    extinf = [float(l.split(":", 1)[1].rstrip(",").split(",")[0]) for l in lines if l.startswith("#EXTINF:")]
    found = lambda tag: next((l.split(":", 1)[1] for l in lines if l.startswith(tag + ":")), None)
    return {
        "VERSION": found("#EXT-X-VERSION"),
        "TARGETDURATION": found("#EXT-X-TARGETDURATION"),
        "PLAYLIST-TYPE": found("#EXT-X-PLAYLIST-TYPE"),
        "MAP": found("#EXT-X-MAP"),
        "ENDLIST": "#EXT-X-ENDLIST" in lines,
        "segments": len(extinf),
        "durations": ",".join(f"{d:.3f}" for d in extinf),
        "total": f"{sum(extinf):.3f}",
    }


NS = {"d": "urn:mpeg:dash:schema:mpd:2011"}


def mpd(path):
    root = ET.parse(path).getroot()
    out = {"MPD": {k: root.get(k) for k in ["type", "profiles", "mediaPresentationDuration", "minBufferTime"]}}
    for aset in root.iterfind(".//d:AdaptationSet", NS):
        for rep in aset.iterfind("d:Representation", NS):
            template = rep.find("d:SegmentTemplate", NS)
            if template is None:
                template = aset.find("d:SegmentTemplate", NS)
            media = template.get("media", "") if template is not None else ""
            name = media.split("/")[0]
            timeline = []
            if template is not None:
                for s in template.iterfind(".//d:S", NS):
                    t, d, r = s.get("t"), int(s.get("d")), int(s.get("r", "0"))
                    timeline.append(f"{'' if t is None else t + ':'}{d}x{r + 1}")
            get = lambda k: rep.get(k) if rep.get(k) is not None else aset.get(k)
            out[name] = {
                "contentType": aset.get("contentType") or (get("mimeType") or "").split("/")[0],
                "mimeType": get("mimeType"),
                "codecs": get("codecs"),
                "bandwidth": rep.get("bandwidth"),
                "width": get("width"),
                "height": get("height"),
                "frameRate": get("frameRate"),
                "sar": get("sar"),
                "par": aset.get("par"),
                "audioSamplingRate": get("audioSamplingRate"),
                "startWithSAP": get("startWithSAP"),
                "segmentAlignment": aset.get("segmentAlignment"),
                "timescale": template.get("timescale") if template is not None else None,
                "presentationTimeOffset": template.get("presentationTimeOffset", "0") if template is not None else None,
                "startNumber": template.get("startNumber") if template is not None else None,
                "timeline": " ".join(timeline),
            }
    return out


CONTAINERS = {"moov", "trak", "mdia", "minf", "stbl", "mvex", "dinf", "edts", "udta"}


def boxes(data, prefix="", out=None):
    """Box paths of an ISO BMFF file with the fields worth comparing."""
    out = {} if out is None else out
    i = 0
    while i + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[i:i + 8])
        kind = kind.decode("latin-1")
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[i + 8:i + 16])[0], 16
        elif size == 0:
            size = len(data) - i
        body = data[i + header:i + size]
        path = f"{prefix}/{kind}"
        n = 2
        while path in out:
            path = f"{prefix}/{kind}[{n}]"
            n += 1
        out[path] = describe(kind, body)
        if kind in CONTAINERS:
            boxes(body, path, out)
        elif kind == "stsd":
            boxes(body[8:], path, out)
        elif kind in ("avc1", "mp4a"):
            boxes(body[78:] if kind == "avc1" else body[28:], path, out)
        i += max(size, 8)
    return out


def describe(kind, body):
    if kind == "ftyp":
        brands = [body[j:j + 4].decode("latin-1") for j in range(8, len(body), 4)]
        return f"major={body[:4].decode('latin-1')} compatible={','.join(brands)}"
    if kind == "mdhd":
        version = body[0]
        timescale = struct.unpack(">I", body[20:24] if version == 1 else body[12:16])[0]
        return f"timescale={timescale}"
    if kind == "mvhd":
        version = body[0]
        timescale = struct.unpack(">I", body[20:24] if version == 1 else body[12:16])[0]
        return f"timescale={timescale}"
    if kind == "hdlr":
        return f"handler={body[8:12].decode('latin-1')}"
    if kind == "tkhd":
        width, height = struct.unpack(">II", body[-8:])
        return f"width={width >> 16} height={height >> 16}"
    if kind == "avc1":
        width, height = struct.unpack(">HH", body[24:28])
        return f"width={width} height={height}"
    if kind == "avcC":
        return f"profile={body[1]} compatibility={body[2]} level={body[3]}"
    if kind == "mp4a":
        channels, _, _, _, rate = struct.unpack(">HHHHI", body[16:28])
        return f"channels={channels} rate={rate >> 16}"
    if kind == "trex":
        return "default sample fields"
    return ""


def number(value):
    """A value's number, whatever its notation: "30" and "15360/512",
    "PT2S" and "PT2.000S" are the same; None when it is not a number."""
    text = str(value)
    duration = re.fullmatch(r"PT([0-9.]+)S", text)
    if duration:
        text = duration.group(1)
    try:
        if "/" in text:
            top, bottom = text.split("/")
            return round(float(top) / float(bottom), 6)
        return round(float(text), 6)
    except ValueError:
        return None


def main():
    reel_dir, shaka_dir = sys.argv[1], sys.argv[2]
    rows, unexplained, segments = [], 0, 1

    def compare(kind, attribute, reel, shaka):
        nonlocal unexplained, segments
        if str(reel) == str(shaka):
            verdict = "same"
        elif number(reel) is not None and number(reel) == number(shaka):
            verdict = "same value"
        elif attribute == "total" and number(shaka) is not None and abs(number(reel) - number(shaka)) < 0.0005 * segments:
            verdict = "same value (Shaka rounds each EXTINF to 1 ms)"
        elif (kind.split(" ")[0], attribute) in EXPLAINED or (kind, attribute) in EXPLAINED:
            verdict = "explained: " + EXPLAINED.get((kind, attribute), EXPLAINED.get((kind.split(" ")[0], attribute)))
        else:
            verdict = "DIFFERS"
            unexplained += 1
        rows.append((kind, attribute, reel, shaka, verdict))

    rv, rm, rtags = master(os.path.join(reel_dir, "master.m3u8"))
    sv, sm, stags = master(os.path.join(shaka_dir, "master.m3u8"))
    for name in sorted(set(rv) | set(sv)):
        for key in ["BANDWIDTH", "AVERAGE-BANDWIDTH", "CODECS", "RESOLUTION", "FRAME-RATE", "AUDIO", "CLOSED-CAPTIONS"]:
            compare(f"master {name}", key, rv.get(name, {}).get(key), sv.get(name, {}).get(key))
    for name in sorted(set(rm) | set(sm)):
        for key in ["TYPE", "CHANNELS", "DEFAULT", "AUTOSELECT", "LANGUAGE", "NAME"]:
            compare(f"master {name}", key, rm.get(name, {}).get(key), sm.get(name, {}).get(key))
    compare("master", "EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-INDEPENDENT-SEGMENTS" in rtags, "#EXT-X-INDEPENDENT-SEGMENTS" in stags)
    compare("master", "EXT-X-VERSION", "#EXT-X-VERSION" in rtags, "#EXT-X-VERSION" in stags)

    names = sorted(set(rv) | set(rm) | set(sm))
    for name in names:
        rp = playlist(os.path.join(reel_dir, name, "index.m3u8"))
        sp = playlist(os.path.join(shaka_dir, name, "index.m3u8"))
        segments = max(rp["segments"], 1)
        for key in rp:
            compare(f"playlist {name}", key, rp[key], sp[key])

    rd, sd = mpd(os.path.join(reel_dir, "manifest.mpd")), mpd(os.path.join(shaka_dir, "manifest.mpd"))
    for name in sorted(set(rd) | set(sd)):
        for key in sorted(set(rd.get(name, {})) | set(sd.get(name, {}))):
            compare(f"mpd {name}", key, rd.get(name, {}).get(key), sd.get(name, {}).get(key))

    for name in names:
        rb = boxes(open(os.path.join(reel_dir, name, "init.mp4"), "rb").read())
        sb = boxes(open(os.path.join(shaka_dir, name, "init.mp4"), "rb").read())
        for path in sorted(set(rb) | set(sb)):
            compare(f"init {name}", path, rb.get(path, "(absent)"), sb.get(path, "(absent)"))

    width = max(len(f"{k} {a}") for k, a, *_ in rows)
    print(f"{'attribute':<{width}}  {'reel':<34} {'shaka packager':<34} verdict")
    for kind, attribute, reel, shaka, verdict in rows:
        print(f"{kind + ' ' + attribute:<{width}}  {str(reel):<34} {str(shaka):<34} {verdict}")
    same = sum(1 for r in rows if r[4].startswith("same"))
    explained = sum(1 for r in rows if r[4].startswith("explained"))
    print(f"\n{len(rows)} attributes: {same} the same, {explained} different and explained "
          f"(docs/conformance.md), {unexplained} different and not explained")
    print(f"RESULT attributes={len(rows)} same={same} explained={explained} unexplained={unexplained}")
    sys.exit(1 if unexplained else 0)


if __name__ == "__main__":
    main()
