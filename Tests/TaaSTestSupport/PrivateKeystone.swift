import Foundation
import Glibc

/// A Keystone of a test's own: PyPI's `keystone` from the test virtual environment (scripts/test.sh
/// makes it), SQLite and fernet tokens in a temporary directory, served by uWSGI on a loopback
/// port, bootstrapped with an `admin` user and its own catalog entry. Stopped by its process
/// group (uWSGI's master and workers), its directory removed.
public final class PrivateKeystone: @unchecked Sendable {
    public let dir: String
    public let port: Int
    public let adminPassword = "admin-secret"
    public private(set) var pid: pid_t = 0

    public var authURL: String { "http://127.0.0.1:\(port)/v3" }

    /// The test virtual environment's bin directory.
    public static var bin: String { Repository.root.appendingPathComponent(".build/osdk-venv/bin").path }

    public init() throws {
        for tool in ["keystone-manage", "uwsgi", "openstack"] where !FileManager.default.isExecutableFile(atPath: "\(Self.bin)/\(tool)") {
            throw Command.Failure(description: "no \(tool) in \(Self.bin): run scripts/test.sh, which installs keystone, uwsgi and python-openstackclient there")
        }
        dir = "/tmp/taas-keystone-\(UInt32.random(in: 0...UInt32.max))"
        port = TestPorts.block()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            try """
                [DEFAULT]
                log_file = \(dir)/keystone.log
                [database]
                connection = sqlite:///\(dir)/keystone.db
                [token]
                provider = fernet
                [fernet_tokens]
                key_repository = \(dir)/fernet-keys
                [credential]
                key_repository = \(dir)/credential-keys
                [identity]
                # bcrypt's fewest rounds: every CLI call authenticates, and the tests make many.
                password_hash_rounds = 4
                """.write(toFile: "\(dir)/keystone.conf", atomically: true, encoding: .utf8)
            let user = getuid() == 0 ? "root" : String(cString: getpwuid(getuid()).pointee.pw_name)
            for args in [["db_sync"], ["fernet_setup", "--keystone-user", user, "--keystone-group", user],
                         ["credential_setup", "--keystone-user", user, "--keystone-group", user],
                         ["bootstrap", "--bootstrap-password", adminPassword, "--bootstrap-region-id", "RegionOne",
                          "--bootstrap-admin-url", authURL, "--bootstrap-public-url", authURL, "--bootstrap-internal-url", authURL]] {
                let o = try Command.run("\(Self.bin)/keystone-manage", ["--config-file", "\(dir)/keystone.conf"] + args)
                guard o.status == 0 else { throw Command.Failure(description: "keystone-manage \(args[0]) failed: \(o.stderr.suffix(2000))") }
            }
            pid = try Command.startBackground("\(Self.bin)/uwsgi", ["--http-socket", "127.0.0.1:\(port)", "--module", "keystone.wsgi.api:application",
                                                                     "--master", "--processes", "2", "--threads", "2", "--need-app",
                                                                     "--die-on-term", "--disable-logging",
                                                                     // uWSGI's http-socket closes each connection after its answer;
                                                                     // saying so keeps clients from reusing one it already closed
                                                                     // (a POST on it got "connection reset").
                                                                     "--add-header", "Connection: close"],
                                              environment: ["OS_KEYSTONE_CONFIG_FILES": "\(dir)/keystone.conf"], logPath: "\(dir)/uwsgi.log")
            for _ in 0..<300 {
                if let o = try? Command.run("curl", ["-sf", "--max-time", "2", "\(authURL)/"]), o.status == 0 { return }
                usleep(100_000)
            }
            throw Command.Failure(description: "Keystone did not answer on \(authURL): \((try? String(contentsOfFile: "\(dir)/uwsgi.log", encoding: .utf8))?.suffix(3000) ?? "")")
        } catch {
            stop()
            throw error
        }
    }

    /// The environment of an `openstack` command run as `user` in `project`, through the catalog
    /// (no endpoint override).
    public func credentials(user: String, password: String, project: String) -> [String: String] {
        ["OS_AUTH_URL": authURL, "OS_USERNAME": user, "OS_PASSWORD": password, "OS_PROJECT_NAME": project, "OS_USER_DOMAIN_NAME": "Default",
         "OS_PROJECT_DOMAIN_NAME": "Default", "OS_IDENTITY_API_VERSION": "3", "OS_INTERFACE": "public", "OS_REGION_NAME": "RegionOne"]
    }

    public func stop() {
        if pid > 0 {
            // uWSGI's master and workers share the process group it was started in.
            kill(-pid, SIGTERM)
            var status: Int32 = 0
            for _ in 0..<100 where waitpid(pid, &status, WNOHANG) == 0 { usleep(50_000) }
            kill(-pid, SIGKILL)
            waitpid(pid, &status, WNOHANG)
            pid = 0
        }
        if ProcessInfo.processInfo.environment["TAAS_KEEP_LOGS"] != "1" { try? FileManager.default.removeItem(atPath: dir) }
    }

    deinit { stop() }
}
