import NIOSSL

/// The certificate files of `--ssl-private-key`, `--ssl-certificate`, `--ssl-ca-cert`, as
/// `ovs-pki` makes them. Switches must present a certificate signed by the CA.
public struct TLSFiles: Hashable, Sendable {
    public var privateKey: String
    public var certificate: String
    public var caCertificate: String

    public init(privateKey: String, certificate: String, caCertificate: String) {
        self.privateKey = privateKey
        self.certificate = certificate
        self.caCertificate = caCertificate
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// The server and client contexts when any target uses TLS (nil, nil otherwise); `what` names
    /// the targets in the error when the files are missing.
    public static func contexts(for targets: [ConnectionTarget], _ files: TLSFiles?, what: String) throws
        -> (server: NIOSSLContext?, client: NIOSSLContext?) {
        guard targets.contains(where: \.usesTLS) else { return (nil, nil) }
        guard let files else {
            throw LoadError(description: "\(what) need --ssl-private-key, --ssl-certificate and --ssl-ca-cert")
        }
        return (try files.makeContext(server: true), try files.makeContext(server: false))
    }

    /// Both sides verify: a switch without a certificate from our CA is refused. Host names are
    /// not checked, as Open vSwitch's certificates name switches, not addresses.
    public func makeContext(server: Bool) throws -> NIOSSLContext {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let key = try NIOSSLPrivateKey(file: privateKey, format: .pem)
            var config = server
                ? TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
                : TLSConfiguration.makeClientConfiguration()
            if !server {
                config.certificateChain = chain
                config.privateKey = .privateKey(key)
            }
            config.trustRoots = .file(caCertificate)
            config.certificateVerification = .noHostnameVerification
            return try NIOSSLContext(configuration: config)
        } catch {
            throw LoadError(description: "cannot load TLS files (key \(privateKey), certificate \(certificate), CA \(caCertificate)): \(error)")
        }
    }
}
