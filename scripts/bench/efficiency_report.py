#!/usr/bin/env python3
"""scripts/bench/efficiency.sh's helper. Three subcommands:

  rungs DIR
      One `NAME=DIR/NAME/index.m3u8:WxH` line per video rung of a ladder that
      `reel transcode` wrote into DIR (read from its master.m3u8), largest
      first: the arguments scripts/bench/quality.py takes.

  display-quality --source CLIP --ffmpeg FFMPEG --size WxH NAME=PLAYLIST ...
      XPSNR and SSIM of each rendition scaled up (bicubic) to the display size
      WxH against the source at that size, in one ffmpeg pass: the picture a
      viewer sees on a phone that shows the video full screen, whatever rung
      it fetched. Prints {NAME: {"xpsnr": dB, "xpsnr_y": dB, "ssim": x}}.
      (scripts/bench/quality.py compares each rung with the source scaled
      down to the rung's own size instead, so its figures compare rungs of
      one size, not a 720p rung with a 1080p one.)

  report --work DIR --clips "A B ..." --seconds S --bandwidths "1.5 3 6 12"
         --cpu-dollars-per-hour X --egress-dollars-per-gb Y
      Prints the benchmark's tables from what efficiency.sh left in
      DIR/<clip>/ and writes every figure to DIR/results.json. The last line
      printed is the RESULT line. Each ladder L of a clip is DIR/<clip>/L/
      (the renditions), DIR/<clip>/L.run.json (scripts/bench/measure.py:
      wall and CPU seconds, its stdout the transcode's --json summary),
      DIR/<clip>/L.quality.json (quality.py) and, when measured,
      DIR/<clip>/L.display.json (display-quality). Ladders: "fixed" and
      "pertitle" (H.264) and "av1" (`reel transcode --codec av1`), each of
      the other two compared with the fixed ladder the same way; a ladder
      not made on a clip prints n/a. Rungs pair up by size ("720p-av1" with
      "720p"). AV1 is video only: it is counted with the fixed ladder's AAC
      audio (its bytes in every view, its segments in every variant's peak),
      as Reel serves it, so the view bytes of both include the same audio.
      The AV1 encode comes on top of the H.264 ladder, so its pay back counts
      all its CPU as extra; per-title replaces the fixed ladder, so only its
      CPU over the fixed ladder's.

Definitions are in efficiency.sh's header comment.
"""

import argparse
import glob
import json
import math
import os
import re
import subprocess
import sys

# Every ladder the report knows, in the order it prints them. "fixed" is the
# anchor the others are compared with.
LADDERS = [("fixed", "fixed H.264"), ("pertitle", "per-title"), ("av1", "AV1")]
CANDIDATES = ["pertitle", "av1"]
# Ladders encoded on top of the fixed ladder (all their CPU is extra), not instead of it.
EXTRA_ENCODES = {"av1"}


# ---------------------------------------------------------------- reading a ladder

def load(path):
    with open(path) as f:
        return json.load(f)


def variants(folder):
    """The master playlist's variants: [{name, bandwidth, average, width, height}], largest first.

    With audio, `reel transcode` lists `{rung}.av/index.m3u8` (the rung with the
    audio muxed in); BANDWIDTH is then that variant's peak segment bit rate,
    audio included, which is what a player compares with its bandwidth.
    """
    found = []
    attributes = None
    with open(os.path.join(folder, "master.m3u8")) as f:
        for line in f:
            line = line.strip()
            if line.startswith("#EXT-X-STREAM-INF:"):
                attributes = line
            elif attributes and line and not line.startswith("#"):
                name = line.split("/")[0]
                name = name[:-3] if name.endswith(".av") else name
                size = re.search(r"RESOLUTION=(\d+)x(\d+)", attributes)
                found.append({
                    "name": name,
                    "bandwidth": int(re.search(r"[:,]BANDWIDTH=(\d+)", attributes).group(1)),
                    "average": int(m.group(1)) if (m := re.search(r"AVERAGE-BANDWIDTH=(\d+)", attributes)) else None,
                    "width": int(size.group(1)),
                    "height": int(size.group(2)),
                })
                attributes = None
    return sorted(found, key=lambda v: v["width"] * v["height"], reverse=True)


def segment_bytes(folder):
    """Bytes of a rendition's media segments (*.m4s; the init segment, ~1 KB, left out)."""
    return sum(os.path.getsize(p) for p in glob.glob(os.path.join(folder, "*.m4s")))


def segments(playlist):
    """A media playlist's segments: [(listed seconds, path)]."""
    with open(playlist) as f:
        return [(float(m.group(1)), os.path.join(os.path.dirname(playlist), m.group(2)))
                for m in re.finditer(r"#EXTINF:([0-9.]+)[^\n]*\n([^#\s]\S*)", f.read())]


def playlist_seconds(playlist):
    return sum(seconds for seconds, _ in segments(playlist))


def muxed_peak(rung_folder, audio_folder):
    """The BANDWIDTH of a video-only rung served with audio_folder's audio, as Reel's {rung}.av
    variants list it: the largest video segment plus the audio segment of the same number, over
    the video segment's listed duration."""
    audio = {os.path.basename(path): os.path.getsize(path)
             for _, path in segments(os.path.join(audio_folder, "index.m3u8"))}
    return max(math.ceil((os.path.getsize(path) + audio.get(os.path.basename(path), 0)) * 8 / seconds)
               for seconds, path in segments(os.path.join(rung_folder, "index.m3u8")))


def read_ladder(clip_dir, ladder):
    """Everything measured about one ladder of one clip, or None when it was not made.

    A ladder without audio (AV1) is counted with the fixed ladder's, as Reel serves it.
    """
    folder = os.path.join(clip_dir, ladder)
    if not os.path.exists(os.path.join(folder, "master.m3u8")):
        return None
    audio_folder = os.path.join(folder, "audio")
    borrowed = not os.path.isdir(audio_folder) and os.path.isdir(os.path.join(clip_dir, "fixed", "audio"))
    if borrowed:
        audio_folder = os.path.join(clip_dir, "fixed", "audio")
    run = load(os.path.join(clip_dir, f"{ladder}.run.json"))
    summary_path = os.path.join(clip_dir, f"{ladder}.run.json.stdout")
    summary = load(summary_path) if os.path.getsize(summary_path) > 0 else {}
    quality = load(os.path.join(clip_dir, f"{ladder}.quality.json"))
    display_path = os.path.join(clip_dir, f"{ladder}.display.json")
    display = load(display_path) if os.path.exists(display_path) else {}
    rungs = []
    for v in variants(folder):
        rung_folder = os.path.join(folder, v["name"])
        if borrowed:
            v["bandwidth"] = muxed_peak(rung_folder, audio_folder)
        seconds = playlist_seconds(os.path.join(rung_folder, "index.m3u8"))
        size = segment_bytes(rung_folder)
        q = quality.get(v["name"], {})
        d = display.get(v["name"]) or (q if (v["width"], v["height"]) == display_size(clip_dir) else {})
        rungs.append({
            **v,
            "bytes": size,
            "seconds": round(seconds, 3),
            "kbps": round(size * 8 / seconds / 1000) if seconds else None,
            "peak_kbps": round(v["bandwidth"] / 1000),
            "xpsnr": q.get("xpsnr"), "xpsnr_y": q.get("xpsnr_y"), "ssim": q.get("ssim"), "psnr": q.get("psnr"),
            "display_xpsnr": d.get("xpsnr"), "display_ssim": d.get("ssim"),
        })
    audio = segment_bytes(audio_folder) if os.path.isdir(audio_folder) else 0
    per_title = summary.get("per_title")
    return {
        "rungs": rungs,
        "audio_bytes": audio,
        "audio_from": "fixed" if borrowed else None,
        "ladder_bytes": sum(r["bytes"] for r in rungs) + audio,
        "cpu_s": run["cpu_s"],
        "wall_s": run["wall_s"],
        "peak_rss_mb": run.get("peak_rss_mb"),
        "per_title": per_title,
    }


_display_sizes = {}


def display_size(clip_dir):
    """The display size: the largest rung of the fixed ladder (the source's size for the standard ladder)."""
    if clip_dir not in _display_sizes:
        top = variants(os.path.join(clip_dir, "fixed"))[0]
        _display_sizes[clip_dir] = (top["width"], top["height"])
    return _display_sizes[clip_dir]


# ---------------------------------------------------------------- figures

def pick(ladder, bandwidth_bps):
    """The rung a viewer with this bandwidth settles on: the largest whose BANDWIDTH
    fits; when none fits, the smallest (the player has nothing lower; it would stall)."""
    fitting = [r for r in ladder["rungs"] if r["bandwidth"] <= bandwidth_bps]
    if fitting:
        return max(fitting, key=lambda r: r["bandwidth"]), True
    return min(ladder["rungs"], key=lambda r: r["bandwidth"]), False


def views(ladder, bandwidths):
    """Per viewer bandwidth: the rung picked and the bytes of a view (that rung + audio)."""
    out = []
    for mbps in bandwidths:
        rung, fits = pick(ladder, mbps * 1e6)
        out.append({"mbps": mbps, "rung": rung["name"], "fits": fits, "bytes": rung["bytes"] + ladder["audio_bytes"],
                    "xpsnr": rung["xpsnr"], "ssim": rung["ssim"],
                    "display_xpsnr": rung["display_xpsnr"], "display_ssim": rung["display_ssim"]})
    return out


def mean(values):
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(values) / len(values) if values else None


def mean_of_all(values):
    return None if any(v is None for v in values) else mean(values)


def diff(a, b):
    return a - b if a is not None and b is not None else None


def same_size(ladder, rung):
    """The rung of `ladder` the size of `rung` ("720p-av1" pairs with "720p"), or None; of two
    the size (per-title may repeat one at a lower bit rate), the dearer."""
    matches = [r for r in ladder["rungs"] if (r["width"], r["height"]) == (rung["width"], rung["height"])]
    return max(matches, key=lambda r: r["bandwidth"]) if matches else None


def anchor_bytes_at(anchor, quality):
    """The bytes a view of the fixed ladder would need for `quality` (display XPSNR): its
    rungs' views as points (quality, log bytes), each rung kept only when it is better than
    every cheaper one, interpolated linearly between them (as BD-rate interpolates
    rate-quality curves) and extrapolated with the nearest two's slope outside their range
    (`outside` True then). None when fewer than two rungs were measured at the display size."""
    points = sorted((r["bytes"] + anchor["audio_bytes"], r["display_xpsnr"]) for r in anchor["rungs"]
                    if r.get("display_xpsnr") is not None)
    hull = []
    for size, q in points:
        if not hull or q > hull[-1][1]:
            hull.append((size, q))
    if len(hull) < 2:
        return None, False
    outside = quality < hull[0][1] or quality > hull[-1][1]
    if quality <= hull[0][1]:
        (b0, q0), (b1, q1) = hull[0], hull[1]
    elif quality >= hull[-1][1]:
        (b0, q0), (b1, q1) = hull[-2], hull[-1]
    else:
        (b0, q0), (b1, q1) = next((lo, hi) for lo, hi in zip(hull, hull[1:]) if lo[1] <= quality <= hi[1])
    log_bytes = math.log(b0) + (math.log(b1) - math.log(b0)) * (quality - q0) / (q1 - q0)
    return math.exp(log_bytes), outside


def equal_quality_ratio(anchor, views_other):
    """Bytes per view at equal quality: the candidate's bytes per view over what the fixed
    ladder would need to give each of those viewers the same picture (``anchor_bytes_at``),
    mean over the viewer bandwidths. A viewer whose candidate rung is better than the fixed
    one's then counts the fixed ladder's cost of that better picture, not its own rung's.
    Also the number of views whose quality was outside the fixed ladder's range."""
    needed, outside = [], 0
    for v in views_other:
        if v.get("display_xpsnr") is None:
            return None, 0
        size, out = anchor_bytes_at(anchor, v["display_xpsnr"])
        if size is None:
            return None, 0
        needed.append(size)
        outside += out
    return mean([v["bytes"] for v in views_other]) / mean(needed), outside


def views_to_pay_back(extra_cpu_s, saved_bytes_per_view, cpu_dollars_per_hour, egress_dollars_per_gb):
    """Views after which the extra encode's CPU costs less than the egress it saved; None: never."""
    if extra_cpu_s <= 0:
        return 0.0  # no extra encode to pay back
    if saved_bytes_per_view <= 0:
        return None
    return (extra_cpu_s / 3600 * cpu_dollars_per_hour) / (saved_bytes_per_view / 1e9 * egress_dollars_per_gb)


def compare(anchor, other, bandwidths, cpu_dollars_per_hour, egress_dollars_per_gb, extra_encode=False):
    """`other` against the fixed ladder `anchor` for one clip. extra_encode: `other` is encoded on
    top of `anchor` (AV1), so all its CPU is extra; otherwise instead of it (per-title)."""
    va, vo = views(anchor, bandwidths), views(other, bandwidths)
    mean_a, mean_o = mean([v["bytes"] for v in va]), mean([v["bytes"] for v in vo])
    at6 = [i for i, v in enumerate(va) if v["mbps"] == 6]
    pairs = [(r, a) for a in anchor["rungs"] if (r := same_size(other, a))]
    per_rung = {a["name"]: diff(r["xpsnr"], a["xpsnr"]) for r, a in pairs}
    extra_cpu = other["cpu_s"] - (0 if extra_encode else anchor["cpu_s"])
    saved = mean_a - mean_o  # bytes per view, mean over the viewer bandwidths
    equal_quality, outside = equal_quality_ratio(anchor, vo)
    return {
        "views": vo,
        "anchor_views": va,
        "bytes_per_view": mean_o,
        "anchor_bytes_per_view": mean_a,
        "bytes_ratio": mean_o / mean_a,
        "equal_quality_ratio": equal_quality,
        "equal_quality_outside": outside,
        "bytes_ratio_6mbps": vo[at6[0]]["bytes"] / va[at6[0]]["bytes"] if at6 else None,
        "ladder_ratio": other["ladder_bytes"] / anchor["ladder_bytes"],
        # Video only, rung by rung, for the rungs both ladders have (Δrung is their quality).
        "rung_bytes_ratio": sum(r["bytes"] for r, _ in pairs) / sum(a["bytes"] for _, a in pairs) if pairs else None,
        # Quality at equal viewer bandwidth: each rung against the source at its own size …
        "xpsnr_delta_db": mean_of_all([diff(o["xpsnr"], a["xpsnr"]) for o, a in zip(vo, va)]),
        "ssim_delta": mean([diff(o["ssim"], a["ssim"]) for o, a in zip(vo, va)]),
        # … and scaled up to the display size, as a viewer sees it.
        # (none unless every pick was measured: a mean over some bandwidths would mislead)
        "display_xpsnr_delta_db": mean_of_all([diff(o["display_xpsnr"], a["display_xpsnr"]) for o, a in zip(vo, va)]),
        "per_rung_xpsnr_delta_db": per_rung,
        "per_rung_xpsnr_delta_mean_db": mean(list(per_rung.values())),
        "cpu_ratio": other["cpu_s"] / anchor["cpu_s"] if anchor["cpu_s"] else None,
        "extra_cpu_s": extra_cpu,
        "bytes_saved_per_view": saved,
        "views_to_pay_back": views_to_pay_back(extra_cpu, saved, cpu_dollars_per_hour, egress_dollars_per_gb),
    }


# ---------------------------------------------------------------- printing

def fmt(value, digits=2, na="-"):
    if value is None:
        return na
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        return f"{value:.{digits}f}"
    return str(value)


def signed(value, digits=2, na="-"):
    return na if value is None else f"{value:+.{digits}f}"


def mb(value):
    return fmt(value / 1e6 if value is not None else None, 2)


def payback_text(value):
    if value is None:
        return "never"
    if value == 0:
        return "0"
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


def print_plan(per_title):
    if not per_title:
        print("  per-title: no record in the transcode's summary")
        return
    m = per_title.get("measurement")
    plan = per_title.get("plan")
    if m:
        print(f"  per-title: CRF {m['crf']:g}, samples at {', '.join(f'{s:.1f}' for s in m['samples'])} s "
              f"({m['sampleSeconds']:g} s each), measured in {m['seconds']:.2f} s wall")
    if per_title.get("fallback"):
        print(f"  per-title: fixed ladder kept: {per_title['fallback']}")
    for c in (plan or {}).get("choices", []):
        chosen = f"{c['chosen'] // 1000} kb/s" if c["chosen"] else "none"
        if c["chosen"] and c.get("size"):
            chosen += f" at {c['size']}'s size"
        note = f" ({c['note']})" if c.get("note") else ""
        print(f"    {c['rung']:<6} fixed {c['fixed'] // 1000} kb/s, measured {c['measured'] // 1000} kb/s -> {chosen}{note}")


def print_clip(name, seconds, ladders, comparisons):
    fixed = ladders["fixed"]
    print(f"\n== {name} ({seconds:g} s, {display_label(fixed)}) ==")
    if ladders.get("pertitle"):
        print_plan(ladders["pertitle"]["per_title"])
    for key, label in LADDERS:
        if key not in CANDIDATES:
            continue
        if key in comparisons:
            print_comparison(label, seconds, fixed, ladders[key], comparisons[key])
        else:
            print(f"\n  {label}: not made (n/a)")


def print_comparison(label, seconds, fixed, other, c):
    """One candidate ladder against the fixed one for one clip: rung by rung, then per viewer bandwidth."""
    print(f"\n  -- {label} against the fixed H.264 ladder --")
    if other["audio_from"]:
        print(f"  {label} is video only: counted with the {other['audio_from']} ladder's audio (view bytes and peaks)")
    rows = [(r, same_size(other, r)) for r in fixed["rungs"]]
    rows += [(None, r) for r in other["rungs"] if not any(r is paired for _, paired in rows)]
    print(f"  {'rung':<7}{'fixed: kb/s':>12}{'peak':>7}{'XPSNR':>7}{'SSIM':>8}{'disp':>7}"
          f"{label + ': kb/s':>17}{'peak':>7}{'XPSNR':>7}{'SSIM':>8}{'disp':>7}{'ΔXPSNR':>8}")
    for a, o in rows:
        row = f"  {(a or o)['name']:<7}"
        for r, width in [(a, 12), (o, 17)]:
            if r is None:
                row += f"{'(left out)':>{width}}{'':>7}{'':>7}{'':>8}{'':>7}"
            else:
                row += (f"{fmt(r['kbps']):>{width}}{fmt(r['peak_kbps']):>7}{fmt(r['xpsnr']):>7}"
                        f"{fmt(r['ssim'], 4):>8}{fmt(r['display_xpsnr']):>7}")
        print(row + f"{signed(diff((o or {}).get('xpsnr'), (a or {}).get('xpsnr'))):>8}")
    print(f"  {'audio':<7}{fmt(round(fixed['audio_bytes'] * 8 / seconds / 1000)):>12}"
          f"{'':>36}{fmt(round(other['audio_bytes'] * 8 / seconds / 1000)):>17}")
    print(f"\n  {'viewer':<9}{'fixed: rung':>12}{'MB':>7}{'XPSNR':>7}{'disp':>7}"
          f"{label + ': rung':>17}{'MB':>7}{'XPSNR':>7}{'disp':>7}{'bytes':>7}{'ΔXPSNR':>8}{'Δdisp':>7}")
    for a, o in zip(c["anchor_views"], c["views"]):
        label_bw = f"{a['mbps']:g} Mb/s"
        rung_a = a["rung"] + ("" if a["fits"] else "!")
        rung_o = o["rung"] + ("" if o["fits"] else "!")
        print(f"  {label_bw:<9}{rung_a:>12}{mb(a['bytes']):>7}{fmt(a['xpsnr']):>7}{fmt(a['display_xpsnr']):>7}"
              f"{rung_o:>17}{mb(o['bytes']):>7}{fmt(o['xpsnr']):>7}{fmt(o['display_xpsnr']):>7}"
              f"{fmt(o['bytes'] / a['bytes']):>7}{signed(diff(o['xpsnr'], a['xpsnr'])):>8}"
              f"{signed(diff(o['display_xpsnr'], a['display_xpsnr'])):>7}")
    print(f"  {'mean':<9}{'':>12}{mb(c['anchor_bytes_per_view']):>7}{'':>14}{'':>17}{mb(c['bytes_per_view']):>7}"
          f"{'':>14}{fmt(c['bytes_ratio']):>7}{signed(c['xpsnr_delta_db']):>8}{signed(c['display_xpsnr_delta_db']):>7}")
    print(f"\n  whole ladder: fixed {mb(fixed['ladder_bytes'])} MB, {label} {mb(other['ladder_bytes'])} MB "
          f"({fmt(c['ladder_ratio'])}x); video rung by rung {fmt(c['rung_bytes_ratio'])}x")
    print(f"  bytes per view at equal quality: {fmt(c['equal_quality_ratio'])}x what the fixed ladder would need "
          f"for the same pictures at the display size"
          + (f" ({c['equal_quality_outside']} of the views past the fixed ladder's range: extrapolated)"
             if c["equal_quality_outside"] else ""))
    print(f"  quality delta (XPSNR dB): {signed(c['xpsnr_delta_db'])} at equal viewer bandwidth, "
          f"{signed(c['display_xpsnr_delta_db'])} at the display size, {signed(c['per_rung_xpsnr_delta_mean_db'])} "
          f"rung by rung")
    print(f"  encode CPU s: fixed {fixed['cpu_s']:.2f} (wall {fixed['wall_s']:.2f}), {label} {other['cpu_s']:.2f} "
          f"(wall {other['wall_s']:.2f}): {c['extra_cpu_s']:+.2f} s extra, {fmt(c['cpu_ratio'])}x")
    print(f"  views for {label}'s extra encode to pay for itself in bytes: {payback_text(c['views_to_pay_back'])}")


def display_label(ladder):
    top = ladder["rungs"][0]
    return f"{top['width']}x{top['height']}, {len(ladder['rungs'])}-rung fixed ladder + AAC"


def report(args):
    bandwidths = [float(b) for b in args.bandwidths.split()]
    clips = args.clips.split()
    results = {"seconds": args.seconds, "bandwidths_mbps": bandwidths,
               "assumptions": {"cpu_dollars_per_hour": args.cpu_dollars_per_hour,
                               "egress_dollars_per_gb": args.egress_dollars_per_gb},
               "clips": {}}
    print(f"Fixed H.264 ladder against per-title H.264 and AV1, {len(clips)} clips of "
          f"{args.seconds:g} s; viewers at {', '.join(f'{b:g}' for b in bandwidths)} Mb/s")
    print("  kb/s: video bytes over the playlist's duration; peak: the variant's BANDWIDTH in master.m3u8 (audio "
          "included); XPSNR (min of Y, U, V) and SSIM against the source at the rung's size; disp: XPSNR scaled up "
          "to the display size; ! a viewer below every rung's peak (it gets the lowest and would stall)")
    for name in clips:
        clip_dir = os.path.join(args.work, name)
        ladders = {key: read_ladder(clip_dir, key) for key, _ in LADDERS}
        if ladders["fixed"] is None:
            sys.exit(f"efficiency_report.py: no fixed ladder in {clip_dir}")
        comparisons = {key: compare(ladders["fixed"], ladders[key], bandwidths, args.cpu_dollars_per_hour,
                                    args.egress_dollars_per_gb, extra_encode=key in EXTRA_ENCODES)
                       for key in CANDIDATES if ladders.get(key)}
        print_clip(name, args.seconds, ladders, comparisons)
        results["clips"][name] = {"ladders": ladders, "comparisons": comparisons}

    def row(label, c, fixed_cpu, cpu, payback):
        print(f"{label:<22}{fmt(c.get('bytes_ratio')):>11}{fmt(c.get('equal_quality_ratio')):>7}"
              f"{fmt(c.get('bytes_ratio_6mbps')):>8}"
              f"{fmt(c.get('ladder_ratio')):>8}{fmt(c.get('rung_bytes_ratio')):>7}{signed(c.get('xpsnr_delta_db')):>8}"
              f"{signed(c.get('display_xpsnr_delta_db')):>7}{signed(c.get('per_rung_xpsnr_delta_mean_db')):>7}"
              f"{fmt(fixed_cpu):>9}{fmt(cpu):>8}{fmt(c.get('cpu_ratio')):>7}{payback:>10}")

    # Means over the clips, per candidate: none unless the candidate was made on every clip.
    summary = {}
    for key, label in LADDERS:
        if key not in CANDIDATES:
            continue
        made = all(key in results["clips"][n]["comparisons"] for n in clips)
        compared = [results["clips"][n]["comparisons"].get(key, {}) for n in clips]
        figures = ["bytes_ratio", "equal_quality_ratio", "bytes_ratio_6mbps", "ladder_ratio", "rung_bytes_ratio", "xpsnr_delta_db",
                   "display_xpsnr_delta_db", "per_rung_xpsnr_delta_mean_db", "cpu_ratio", "extra_cpu_s",
                   "bytes_saved_per_view"]
        s = {f: mean_of_all([c.get(f) for c in compared]) if made else None for f in figures}
        # Pay back over the set: the mean extra encode against the mean bytes saved per view.
        s["views_to_pay_back"] = (views_to_pay_back(s["extra_cpu_s"], s["bytes_saved_per_view"],
                                                    args.cpu_dollars_per_hour, args.egress_dollars_per_gb)
                                  if made else None)
        summary[key] = s
        print(f"\n== over the {len(clips)} clips: {label} against the fixed H.264 ladder ==")
        if not made:
            print(f"  {label}: not made on every clip (n/a)")
            continue
        print(f"{'clip':<22}{'bytes/view':>11}{'=Q':>7}{'@6Mb/s':>8}{'ladder':>8}{'rungs':>7}{'ΔXPSNR':>8}{'Δdisp':>7}"
              f"{'Δrung':>7}{'CPU fix':>9}{'CPU':>8}{'ratio':>7}{'pay back':>10}")
        for n, c in zip(clips, compared):
            ladders = results["clips"][n]["ladders"]
            row(n, c, ladders["fixed"]["cpu_s"], ladders[key]["cpu_s"], payback_text(c["views_to_pay_back"]))
        row("mean", s, mean([results["clips"][n]["ladders"]["fixed"]["cpu_s"] for n in clips]),
            mean([results["clips"][n]["ladders"][key]["cpu_s"] for n in clips]), payback_text(s["views_to_pay_back"]))
        worse = [n for n, c in zip(clips, compared) if (c["xpsnr_delta_db"] or 0) < 0]
        if worse:
            print(f"  {label}'s XPSNR at equal viewer bandwidth is below the fixed ladder's for: {', '.join(worse)}")
    print("\n  bytes/view: the candidate's bytes per view over the fixed ladder's, mean over the viewer bandwidths; "
          "=Q: the same at equal quality, over the bytes the fixed ladder would need for the candidate's pictures "
          "(display XPSNR, interpolated between its rungs); @6Mb/s: for a 6 Mb/s viewer; ladder: whole ladder's bytes; rungs: video bytes rung by rung, for the rungs "
          "both ladders have")
    print("  ΔXPSNR: candidate - fixed at equal viewer bandwidth, each rung at its own size; Δdisp: the same scaled "
          "up to the display size; Δrung: rung by rung, for the rungs both ladders have")
    print("  CPU: encode CPU seconds; ratio: the candidate's over the fixed ladder's; AV1 is video only, counted with "
          "the fixed ladder's audio")
    print(f"  pay back: views after which the candidate's extra encode CPU (per-title: over the fixed ladder's; AV1: "
          f"all of it, an encode on top of the H.264 ladder) costs less than the egress it saved, assuming CPU at "
          f"${args.cpu_dollars_per_hour:g}/core-hour and egress at ${args.egress_dollars_per_gb:g}/GB")
    print("targets: per-title <= 0.8x the fixed ladder's bytes per view at equal or better quality on average over "
          "the set; AV1 <= 0.6x at equal quality; AV1 encode CPU per popular video <= 3x the H.264 ladder's. "
          "=Q is the bytes ratio at equal quality (what the targets compare); bytes/view with ΔXPSNR and Δdisp the "
          "raw one with the quality it bought")
    results["summary"] = summary
    with open(os.path.join(args.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"figures: {os.path.join(args.work, 'results.json')}")
    result = {"pertitle_bytes_ratio": summary["pertitle"]["bytes_ratio"],
              "av1_bytes_ratio": summary["av1"]["bytes_ratio"],
              "av1_cpu_ratio": summary["av1"]["cpu_ratio"],
              "quality_delta_db": summary["pertitle"]["xpsnr_delta_db"],
              "av1_quality_delta_db": summary["av1"]["xpsnr_delta_db"],
              "pertitle_display_delta_db": summary["pertitle"]["display_xpsnr_delta_db"],
              "av1_display_delta_db": summary["av1"]["display_xpsnr_delta_db"],
              "pertitle_equal_quality_ratio": summary["pertitle"]["equal_quality_ratio"],
              "av1_equal_quality_ratio": summary["av1"]["equal_quality_ratio"]}
    print("RESULT " + " ".join(f"{k}={fmt(v, na='n/a')}" for k, v in result.items()))


# ---------------------------------------------------------------- subcommands

def rungs_command(args):
    for v in variants(args.dir):
        print(f"{v['name']}={os.path.join(args.dir, v['name'], 'index.m3u8')}:{v['width']}x{v['height']}")


def display_quality(args):
    width, height = (int(x) for x in args.size.split("x"))
    renditions = [spec.split("=", 1) for spec in args.renditions]
    result = {}
    if renditions:
        n = len(renditions)
        command = [args.ffmpeg, "-hide_banner", "-nostats", "-i", args.source]
        for _, path in renditions:
            command += ["-i", path]
        graph = [f"[0:v]setpts=PTS-STARTPTS,scale={width}:{height}:flags=bicubic,split={2 * n}"
                 + "".join(f"[rx{i}][rs{i}]" for i in range(n))]
        for i in range(n):
            graph.append(f"[{i + 1}:v]setpts=PTS-STARTPTS,scale={width}:{height}:flags=bicubic,split=2[dx{i}][ds{i}]")
            # xpsnr takes its perceptual weights from its first input: the source.
            graph.append(f"[rx{i}][dx{i}]xpsnr@d{i}[ox{i}]")
            graph.append(f"[ds{i}][rs{i}]ssim@d{i}[os{i}]")
        command += ["-filter_complex", ";".join(graph)]
        for i in range(n):
            for out in ("ox", "os"):
                command += ["-map", f"[{out}{i}]", "-f", "null", "-"]
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            sys.stderr.write(run.stderr[-2000:])
            sys.exit(f"efficiency_report.py display-quality: {args.ffmpeg} failed with {run.returncode}")
        for i, (name, _) in enumerate(renditions):
            x = re.search(rf"\[xpsnr@d{i} @ [^]]*\] XPSNR\s+y: ([0-9.]+|inf)(?:.*minimum: ([0-9.]+|inf))?", run.stderr)
            s = re.search(rf"\[ssim@d{i} @ [^]]*\] SSIM .*All:([0-9.]+)", run.stderr)
            result[name] = {"xpsnr": float(x.group(2) or x.group(1)) if x else None,
                            "xpsnr_y": float(x.group(1)) if x else None,
                            "ssim": float(s.group(1)) if s else None}
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("rungs")
    p.add_argument("dir")
    p = sub.add_parser("display-quality")
    p.add_argument("--source", required=True)
    p.add_argument("--ffmpeg", default="ffmpeg")
    p.add_argument("--size", required=True, help="WxH")
    p.add_argument("renditions", nargs="*", help="NAME=PLAYLIST")
    p = sub.add_parser("report")
    p.add_argument("--work", required=True)
    p.add_argument("--clips", required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--bandwidths", default="1.5 3 6 12")
    p.add_argument("--cpu-dollars-per-hour", type=float, default=0.04)
    p.add_argument("--egress-dollars-per-gb", type=float, default=0.02)
    args = parser.parse_args()
    {"rungs": rungs_command, "display-quality": display_quality, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
