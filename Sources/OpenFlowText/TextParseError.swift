/// Why a flow, group or meter line could not be read.
///
/// `message` quotes the offending token; `position` is its offset in the input,
/// counted in UTF-8 bytes from the start of the text given to `parse`.
public struct TextParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var position: Int?

    public init(_ message: String, position: Int? = nil) {
        self.message = message
        self.position = position
    }

    public var description: String {
        guard let position else { return message }
        return "\(message) (at offset \(position))"
    }
}
