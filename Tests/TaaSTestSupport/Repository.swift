import Foundation

/// Files of this repository that tests compare against.
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A golden file of flows/: `flows/SCENARIO/NODE.KIND` (kind: flows or groups).
    public static func golden(_ scenario: String, _ node: String, _ kind: String) -> URL {
        root.appendingPathComponent("flows").appendingPathComponent(scenario).appendingPathComponent("\(node).\(kind)")
    }

    /// The API's description as the repository holds it.
    public static let openAPI = root.appendingPathComponent("docs").appendingPathComponent("openapi.json")
}
