import Foundation

/// A certificate authority of a test's own, made with the openssl command: a CA, a server
/// certificate for 127.0.0.1 (in subjectAltName, as HTTPS clients check), and a client
/// certificate, all signed by the CA. Keys are written 0600.
public struct TestPKI: Sendable {
    public let dir: String
    public var caCertificate: String { "\(dir)/ca.pem" }
    public var serverCertificate: String { "\(dir)/server.pem" }
    public var serverKey: String { "\(dir)/server-key.pem" }
    public var clientCertificate: String { "\(dir)/client.pem" }
    public var clientKey: String { "\(dir)/client-key.pem" }

    public init(in dir: String) throws {
        self.dir = dir
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let old = umask(0o077)
        defer { umask(old) }
        func openssl(_ args: [String]) throws { try Command.check("openssl", args) }
        try openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(dir)/ca-key.pem",
                     "-out", caCertificate, "-days", "2", "-subj", "/CN=taas test CA"])
        _ = try issue("server", subject: "/CN=127.0.0.1", extensions: "subjectAltName=IP:127.0.0.1,DNS:localhost")
        _ = try issue("client", subject: "/CN=taas client", extensions: "extendedKeyUsage=clientAuth")
    }

    /// Another certificate signed by the CA: `NAME.pem` and `NAME-key.pem`.
    @discardableResult
    public func issue(_ name: String, subject: String, extensions: String = "extendedKeyUsage=clientAuth,serverAuth") throws
        -> (certificate: String, key: String)
    {
        let old = umask(0o077)
        defer { umask(old) }
        func openssl(_ args: [String]) throws { try Command.check("openssl", args) }
        try openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(dir)/\(name)-key.pem",
                     "-out", "\(dir)/\(name).csr", "-subj", subject])
        try "\(extensions)\n".write(toFile: "\(dir)/\(name).ext", atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", caCertificate, "-CAkey", "\(dir)/ca-key.pem", "-CAcreateserial",
                     "-out", "\(dir)/\(name).pem", "-days", "2", "-extfile", "\(dir)/\(name).ext"])
        return ("\(dir)/\(name).pem", "\(dir)/\(name)-key.pem")
    }
}
