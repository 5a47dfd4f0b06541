import Foundation
import Logging

/// The log level, shared by every handler so that SIGHUP can change it while running.
final class LogLevelBox: @unchecked Sendable {
    private let lock = NSLock()
    private var level: Logger.Level
    init(_ level: Logger.Level) { self.level = level }
    var current: Logger.Level {
        get { lock.withLock { level } }
        set { lock.withLock { level = newValue } }
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
        var object: [String: Any] = [
            "time": Self.time(), "level": event.level.rawValue, "label": label, "message": "\(event.message)", "source": event.source,
        ]
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let extra = event.metadata { all.merge(extra) { $1 } }
        for (k, v) in all where object[k] == nil { object[k] = Self.plain(v) }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0a)
        FileHandle.standardError.write(data)
    }

    static func plain(_ v: Logger.MetadataValue) -> Any {
        switch v {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array(let a): a.map(plain)
        case .dictionary(let d): d.mapValues(plain)
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
