public import Foundation

/// The Varnish configuration (VCL 4.1, for Varnish 7) of one edge in front of
/// a Reel origin: what `reel edge-config` prints. Reel drives real edges and
/// never caches on its own; this is everything an edge must do for Reel:
///
/// - a cache key of the path and only the query parameters Reel defines
///   (`region` on a video's metadata; nothing else): any other parameter is
///   dropped before the lookup, so `?x=1`, `?x=2`… cannot fill the cache
///   with copies of one object or force fetches from the origin; Host,
///   cookies and the like are irrelevant too. Only `/v1/videos/` is cached;
///   uploads and the admin API pass through. Master playlists and MPDs are
///   cached for the few seconds the origin gives them; plays are counted from
///   the edge's log by `reel edge-agent`, not by passing every play on;
/// - the origin's `Cache-Control: private` or `no-store` is honoured (not kept);
/// - with `signed` (the origin runs with REEL_PLAYBACK_KEY), every cached
///   object needs a valid `exp` and `sig`, checked at the edge: the edge asks
///   the origin once per signature (`GET /v1/videos/ID/authorize?exp&sig`,
///   cached until `exp`) and refuses a request without one, or with a wrong
///   or expired one, with 403; objects stay cached by path alone, so every
///   viewer's signature hits the same copy, and the edge's own fetches carry
///   the signature it checked. Metadata and playlists, which carry the
///   viewer's signature in their URLs, are passed to the origin;
/// - request collapsing: Varnish's waiting list sends one origin fetch for
///   many concurrent requests of one cold object (kept on: no `hash_ignore_busy`);
/// - the origin's Cache-Control honoured: segments are immutable for a year,
///   playlists of a video still publishing live a second; playlists get grace
///   (stale-while-revalidate), so a viewer never waits on the origin for them;
/// - answers the origin gives for what does not exist yet (a segment still
///   being encoded) are never kept, so they cannot hide it once it exists;
/// - the origin's word on what this edge keeps: an object answered with
///   `X-Reel-Edge-Admit: no` (an older video outside the edge's most played)
///   is passed on, not stored, so the long tail cannot evict the popular;
/// - CORS for the pages the origin allows (``CORSPolicy``): a page's Origin is
///   kept out of the fetch, so a cached object is the same for every page, and
///   the edge adds `Access-Control-Allow-Origin` (with `Vary: Origin`) per
///   request; what passes to the origin gets the origin's own headers;
/// - byte ranges (Varnish answers 206 from the cached object);
/// - `X-Cache-Status: HIT|MISS` on every answer, and `X-Reel-Edge: NAME`;
/// - PURGE (one URL) and BAN (every URL of a video, by path prefix) only
///   from Reel: the client address must be in the ACL and the request must
///   carry the edge's token in `X-Reel-Edge-Token`.
///
/// The cache's memory size is a varnishd argument (`-s malloc,SIZE`), not
/// VCL: ``varnishdArguments(workdir:admin:)`` gives the command line.
public struct EdgeVCL: Sendable {
    public var edge: String
    public var origin: URL
    /// What PURGE and BAN requests must carry in `X-Reel-Edge-Token`.
    public var token: String
    /// Addresses PURGE and BAN may come from (Varnish ACL entries).
    public var purgers: [String]
    /// The cache's size, as varnishd's malloc storage takes it (e.g. `256m`).
    public var memory: String
    /// How long a stale playlist may still be served while a fresh one is fetched.
    public var playlistGrace: Int
    /// Whether playback needs signed URLs (the origin has REEL_PLAYBACK_KEY).
    public var signed: Bool
    /// Pages that may read what the edge serves (the origin's REEL_CORS_ORIGINS).
    public var cors: CORSPolicy
    /// Whether master playlists and MPDs are cached (the default: plays are
    /// counted from the edge's log). Off passes each to the origin, as edges did
    /// before `reel edge-agent`: for comparing the origin's load, not for production.
    public var cacheMasters = true

    public init(
        edge: String, origin: URL, token: String, purgers: [String] = ["127.0.0.1"], memory: String = "256m", playlistGrace: Int = 10,
        signed: Bool = false, cors: CORSPolicy = CORSPolicy(origins: [])
    ) {
        self.cors = cors
        self.edge = edge
        self.origin = origin
        self.token = token
        self.purgers = purgers
        self.memory = memory
        self.playlistGrace = playlistGrace
        self.signed = signed
    }

    /// Why a configuration cannot be rendered, said so a person can fix it.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Checks what goes into the VCL verbatim: a bad name or token must fail
    /// here, not as a VCL compile error on the edge (or as injected VCL).
    public func validate() throws(Invalid) {
        guard !edge.isEmpty, edge.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), edge.count <= 64 else {
            throw Invalid(description: "edge name '\(edge)' must be 1 to 64 letters, digits, '-' or '_'")
        }
        guard let scheme = origin.scheme, scheme == "http", let host = origin.host, !host.isEmpty else {
            throw Invalid(description: "origin '\(origin.absoluteString)' must be an http:// URL with a host (Varnish speaks plain HTTP to its backend)")
        }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else {
            throw Invalid(description: "origin host '\(host)' is not a plain host name or address")
        }
        guard token.count >= 16, token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw Invalid(description: "the edge token must be at least 16 letters, digits, '-' or '_' (it is written into the VCL)")
        }
        for purger in purgers where !purger.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" || $0 == "/" }) {
            throw Invalid(description: "purger '\(purger)' is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/8)")
        }
        guard memory.range(of: "^[0-9]+[kmgKMG]?$", options: .regularExpression) != nil else {
            throw Invalid(description: "memory '\(memory)' must be a size such as 256m or 2g")
        }
        if let mistake = cors.mistakes.first {
            throw Invalid(description: "CORS origin '\(mistake)' must be scheme://host[:port] with no path or slash (e.g. https://app.example.com), or *")
        }
    }

    /// With signed playback: metadata and playlists carry the viewer's
    /// signature in their URLs, so they are the origin's to answer.
    private var signedPass: String {
        """
            # Signed playback: metadata and playlists carry each viewer's signature; the origin answers them.
            if (req.url ~ "^/v1/videos/[A-Za-z0-9]+/?(\\?|$)" || req.url ~ "\\.(m3u8|mpd)(\\?|$)") {
                return (pass);
            }
        """
    }

    /// With signed playback: a request is checked once per signature, by the
    /// origin, and the answer kept until the signature expires.
    private var signedCheck: String {
        """
            if (!req.http.X-Reel-Authorized) {
                if (!req.http.X-Reel-Signature) {
                    return (synth(403, "playback of this video needs a signed URL: add exp and sig"));
                }
                set req.http.X-Reel-Original = req.url;
                set req.http.X-Reel-Auth = "1";
                set req.url = "/__reel/authorize/" + regsub(req.url, "^/v1/videos/([A-Za-z0-9]+).*$", "\\1") + "?" + req.http.X-Reel-Signature;
            }
        """
    }

    /// The VCL text.
    public func render() throws(Invalid) -> String {
        try validate()
        let host = origin.host ?? "127.0.0.1"
        let port = origin.port ?? 80
        let acl = purgers.map { entry -> String in
            let parts = entry.split(separator: "/", maxSplits: 1)
            return parts.count == 2 ? "    \"\(parts[0])\"/\(parts[1]);" : "    \"\(entry)\";"
        }.joined(separator: "\n")
        return """
            vcl 4.1;
            # Reel edge "\(edge)" in front of \(origin.absoluteString), written by `reel edge-config`.
            # Start: varnishd -a 127.0.0.1:PORT -f THIS_FILE \(varnishdArguments(workdir: "WORKDIR", admin: "127.0.0.1:ADMINPORT").joined(separator: " "))

            backend origin {
                .host = "\(host)";
                .port = "\(port)";
                .connect_timeout = 2s;
                .first_byte_timeout = 30s;
                .between_bytes_timeout = 10s;
            }

            acl reel_purgers {
            \(acl)
            }

            sub vcl_recv {
                if (req.method == "PURGE" || req.method == "BAN") {
                    if (client.ip !~ reel_purgers || req.http.X-Reel-Edge-Token != "\(token)") {
                        return (synth(403, "PURGE and BAN are for Reel only"));
                    }
                    if (req.method == "PURGE") {
                        return (purge);
                    }
                    # BAN /v1/videos/ID drops the video's metadata and every object under /v1/videos/ID/.
                    if (req.url !~ "^/v1/videos/[A-Za-z0-9]+/?$") {
                        return (synth(400, "BAN takes /v1/videos/ID"));
                    }
                    ban("obj.http.X-Reel-Url ~ ^" + regsub(req.url, "/$", "") + "(/|$)");
                    return (synth(200, "banned"));
                }
                if (req.url == "/__reel/edge") {
                    return (synth(200, "ok"));
                }
                if (req.restarts == 0) {
                    # Only the VCL sets these; a client's own are dropped.
                    unset req.http.X-Reel-Authorized;
                    unset req.http.X-Reel-Auth;
                    unset req.http.X-Reel-Original;
                    unset req.http.X-Reel-Signature;
                    unset req.http.X-Reel-Origin;
                }
                if (req.method != "GET" && req.method != "HEAD") {
                    return (pass);
                }
                # Only video objects are cached, master playlists and MPDs too (for the short
                # time the origin gives): the edge's agent counts plays from this edge's log.
                if (req.url !~ "^/v1/videos/" || req.url ~ "^/v1/videos/[^/?]+/\(cacheMasters ? "player" : "(player|master\\.m3u8|manifest\\.mpd)")") {
                    return (pass);
                }
            \(signed ? signedPass : "")
                if (req.restarts == 0) {
                    # The cache key: the path, plus only the parameters Reel defines. A signature is
                    # checked (below) and carried to the origin, but never part of the key.
                    if (req.url ~ "[?&]exp=[0-9]+(&|$)" && req.url ~ "[?&]sig=[A-Za-z0-9_-]+(&|$)") {
                        set req.http.X-Reel-Signature = "exp=" + regsub(req.url, "^.*[?&]exp=([0-9]+)(&.*)?$", "\\1")
                            + "&sig=" + regsub(req.url, "^.*[?&]sig=([A-Za-z0-9_-]+)(&.*)?$", "\\1");
                    }
                    if (req.url ~ "^/v1/videos/[A-Za-z0-9]+/?\\?" && req.url ~ "[?&]region=[A-Za-z0-9_-]{1,64}(&|$)") {
                        set req.url = regsub(req.url, "\\?.*$", "") + "?region=" + regsub(req.url, "^.*[?&]region=([A-Za-z0-9_-]{1,64})(&.*)?$", "\\1");
                    } else {
                        set req.url = regsub(req.url, "\\?.*$", "");
                    }
                }
                # The path alone names an object: no cookies, no auth, no per-client variants.
                # A page's Origin is kept aside: the object is the same for every page, and
                # vcl_deliver adds the CORS headers the page needs.
                if (req.http.Origin) {
                    set req.http.X-Reel-Origin = req.http.Origin;
                    unset req.http.Origin;
                }
                unset req.http.Cookie;
                unset req.http.Authorization;
                unset req.http.Accept-Encoding;
            \(signed ? signedCheck : "")
                return (hash);
            }

            sub vcl_hash {
                hash_data(req.url);
                return (lookup);
            }

            sub vcl_backend_fetch {
                # The origin says per object whether this edge should keep it (X-Reel-Edge-Admit).
                set bereq.http.X-Reel-Edge = "\(edge)";
                if (bereq.http.X-Reel-Auth) {
                    # /__reel/authorize/ID?exp&sig: the origin checks the signature once for this edge.
                    set bereq.url = regsub(bereq.url, "^/__reel/authorize/([A-Za-z0-9]+)\\?", "/v1/videos/\\1/authorize?");
                } else if (bereq.http.X-Reel-Signature) {
                    # The signature this edge checked goes with its fetch, for an origin that wants one.
                    set bereq.url = bereq.url + "?" + bereq.http.X-Reel-Signature;
                }
                unset bereq.http.X-Reel-Signature;
                unset bereq.http.X-Reel-Auth;
            }

            sub vcl_backend_response {
                # Kept on the object for BAN (bans on obj.* are evaluated by the ban lurker).
                set beresp.http.X-Reel-Url = bereq.url;
                if (beresp.http.X-Reel-Edge-Admit == "no") {
                    # An older video outside what this edge keeps: pass it on, do not let it evict the popular.
                    unset beresp.http.X-Reel-Edge-Admit;
                    set beresp.uncacheable = true;
                    set beresp.ttl = 30s;
                    return (deliver);
                }
                if (beresp.http.Cache-Control ~ "(private|no-store)") {
                    # The origin's word: this answer is for one client only.
                    set beresp.ttl = 0s;
                    set beresp.uncacheable = true;
                    return (deliver);
                }
                if (beresp.status >= 400) {
                    # What does not exist yet (a segment still being encoded) must not be kept.
                    set beresp.ttl = 0s;
                    set beresp.uncacheable = true;
                    return (deliver);
                }
                if (bereq.url ~ "\\.(m3u8|mpd)$") {
                    set beresp.grace = \(playlistGrace)s;
                }
                return (deliver);
            }

            sub vcl_deliver {
                if (req.http.X-Reel-Auth) {
                    # The answer about a signature: go on with the original request, or refuse it.
                    if (resp.status == 200) {
                        set req.url = req.http.X-Reel-Original;
                        unset req.http.X-Reel-Auth;
                        set req.http.X-Reel-Authorized = "1";
                        return (restart);
                    }
                    return (synth(403, "the playback signature is wrong or expired; ask for a new signed URL"));
                }
                unset resp.http.X-Reel-Url;
                set resp.http.X-Reel-Edge = "\(edge)";
            \(corsDeliver)
                if (obj.hits > 0) {
                    set resp.http.X-Cache-Status = "HIT";
                } else {
                    set resp.http.X-Cache-Status = "MISS";
                }
                return (deliver);
            }

            sub vcl_synth {
                set resp.http.X-Reel-Edge = "\(edge)";
                set resp.http.Content-Type = "application/json";
                if (resp.status == 200) {
                    set resp.body = {"{"edge": "\(edge)", "message": ""} + resp.reason + {"" }"};
                } else {
                    set resp.body = {"{"error": {"code": "edge_"} + resp.status + {"", "message": ""} + resp.reason + {"" } }"};
                }
                return (deliver);
            }

            """
    }

    /// The CORS headers of a cached object, added per request for the page that asks.
    private var corsDeliver: String {
        guard cors.isEnabled else { return "" }
        let exposed = CORSPolicy.exposedHeaders.joined(separator: ", ")
        if cors.allowsAny {
            return """
                    if (req.http.X-Reel-Origin) {
                        set resp.http.Access-Control-Allow-Origin = "*";
                        set resp.http.Access-Control-Expose-Headers = "\(exposed)";
                    }
                """
        }
        let pattern = cors.origins.map { $0.replacingOccurrences(of: ".", with: "\\.") }.joined(separator: "|")
        return """
                if (req.http.X-Reel-Origin) {
                    # CORS: the page's origin, if it is one of REEL_CORS_ORIGINS; the answer depends on it.
                    if (req.http.X-Reel-Origin ~ "^(\(pattern))$") {
                        set resp.http.Access-Control-Allow-Origin = req.http.X-Reel-Origin;
                        set resp.http.Access-Control-Expose-Headers = "\(exposed)";
                    }
                    if (resp.http.Vary) {
                        set resp.http.Vary = resp.http.Vary + ", Origin";
                    } else {
                        set resp.http.Vary = "Origin";
                    }
                }
            """
    }

    /// varnishd's arguments for this edge apart from the listen address
    /// (`-a`) and the VCL file (`-f`): its working folder, its cache memory
    /// and its management address.
    public func varnishdArguments(workdir: String, admin: String) -> [String] {
        ["-n", workdir, "-s", "malloc,\(memory)", "-T", admin]
    }
}
