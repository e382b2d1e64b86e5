import ReelStore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// The little of S3's XML that Reel reads: the fields of a response
/// (`UploadId`, `Code`, `Message`, `IsTruncated`…) and its repeated records
/// (`Contents` of a listing), each a flat dictionary of its leaf elements.
struct S3XML {
    var fields: [String: String] = [:]
    var records: [[String: String]] = []

    /// Parses `data`, collecting `record` elements as records.
    init(_ data: Data, record: String = "Contents") {
        let reader = Reader(record: record)
        let parser = XMLParser(data: data)
        parser.delegate = reader
        _ = parser.parse()
        fields = reader.fields
        records = reader.records
    }

    private final class Reader: NSObject, XMLParserDelegate {
        let record: String
        var fields: [String: String] = [:]
        var records: [[String: String]] = []
        private var current: [String: String]?
        private var text = ""

        init(record: String) { self.record = record }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == record { current = [:] }
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == record, let finished = current {
                records.append(finished)
                current = nil
            } else if current != nil {
                current?[name] = text
            } else {
                fields[name] = text
            }
            text = ""
        }
    }

    /// Escapes text for an XML element's content.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
