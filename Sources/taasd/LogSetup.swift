import Foundation
import Logging
import Synchronization
import TaaSWire

/// The log level, shared by every handler so that SIGHUP can change it while running.
final class LogLevelBox: Sendable {
    private let level: Mutex<Logger.Level>
    init(_ level: Logger.Level) { self.level = Mutex(level) }
    var current: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }
}

/// Writes one JSON object per line to standard error: time, level, label, message, source and
/// metadata. For log shippers; `text` (swift-log's stream handler) is for people.
struct JSONLogHandler: LogHandler {
    let label: String
    let box: LogLevelBox
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    var logLevel: Logger.Level {
        get { box.current }
        set { box.current = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: JSONValue] = [
            "time": .string(Self.time()), "level": .string(event.level.rawValue), "label": .string(label), "message": "\(event.message)",
            "source": .string(event.source),
        ]
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        for (k, v) in all where object[k] == nil { object[k] = Self.plain(v) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(object) else { return }
        data.append(0x0a)
        FileHandle.standardError.write(data)
    }

    static func plain(_ v: Logger.MetadataValue) -> JSONValue {
        switch v {
        case .string(let s): .string(s)
        case .stringConvertible(let c): .string(c.description)
        case .array(let a): .array(a.map(plain))
        case .dictionary(let d): .object(d.mapValues(plain))
        }
    }

    static func time() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }
}

/// The text handler with the shared level.
struct TextLogHandler: LogHandler {
    var inner: StreamLogHandler
    let box: LogLevelBox
    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }
    var logLevel: Logger.Level {
        get { box.current }
        set { box.current = newValue }
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }
    func log(event: LogEvent) {
        inner.log(event: event)
    }
}
