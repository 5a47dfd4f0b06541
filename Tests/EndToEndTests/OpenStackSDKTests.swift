import Foundation
import Hummingbird
import HummingbirdTesting
import TaaSAPI
import TaaSPolicy
import TaaSStore
import TaaSTestSupport
import Testing

/// The stock OpenStack SDK (`openstacksdk` from PyPI, in the virtual environment scripts/test.sh
/// makes) drives the API unchanged.
@Suite(.offCooperativePool) struct OpenStackSDKTests {
    static var python: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(".build/osdk-venv/bin/python").path
    }

    @Test func createListShowUpdateDeleteWithOpenStackSDK() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.python),
                     "no openstacksdk virtual environment at \(Self.python): run scripts/test.sh, which makes it")
        let e = try APIFixture.env()
        try await e.service.recordPorts(APIFixture.ports)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("openstacksdk_crud.py").path
        try await e.app.test(.live) { client in
            let port = try #require(client.port)
            let ids = APIFixture.ports.map(\.id)
            let o = try await Command.runOffPool(Self.python, [script, "http://127.0.0.1:\(port)/v2.0"] + ids)
            #expect(o.status == 0 && o.stdout.hasSuffix("OK\n"), "\(o.stdout)\(o.stderr)")
        }
    }
}
