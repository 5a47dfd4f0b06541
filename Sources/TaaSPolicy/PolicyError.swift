/// Why a policy operation was refused. `kind` says how the API maps it (400, 403, 404, 409);
/// `message` names the field and the problem for a person.
public struct PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case badRequest
        case forbidden
        case notFound
        case conflict
    }

    public var kind: Kind
    /// Neutron's error type, e.g. `TapServiceNotFound`, `OverQuota`.
    public var type: String
    public var message: String

    public init(_ kind: Kind, _ type: String, _ message: String) {
        self.kind = kind
        self.type = type
        self.message = message
    }

    public var description: String { "\(type): \(message)" }
}

/// Who is asking: their project and whether they may act on any project.
public struct Caller: Hashable, Sendable {
    public var projectID: String
    public var isAdmin: Bool
    /// Readers may look but not change anything.
    public var canWrite: Bool

    public init(projectID: String, isAdmin: Bool, canWrite: Bool = true) {
        self.projectID = projectID
        self.isAdmin = isAdmin
        self.canWrite = canWrite
    }

    public static let admin = Caller(projectID: "admin", isAdmin: true)

    func sees(_ projectID: String) -> Bool { isAdmin || projectID == self.projectID }
}

/// Most resources of each kind a project may have; nil means unlimited.
public struct Quotas: Hashable, Sendable {
    public var tapServices: Int?
    public var tapFlows: Int?
    public var tapMirrors: Int?

    public init(tapServices: Int? = nil, tapFlows: Int? = nil, tapMirrors: Int? = nil) {
        self.tapServices = tapServices
        self.tapFlows = tapFlows
        self.tapMirrors = tapMirrors
    }
}
