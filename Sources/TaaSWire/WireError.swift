/// A request body Neutron would refuse, with Neutron's message (the API answers 400 with it).
public struct WireError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
