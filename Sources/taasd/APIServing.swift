import Foundation
import ArgumentParser
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import TaaSConfig

/// How the API is served: HTTPS when a certificate is given (clients checked against a CA when
/// one is), and warnings for secrets others can read.
enum APIServing {
    /// The API's TLS configuration, or nil for plain HTTP.
    static func tls(_ s: Settings, logger: Logger) throws -> TLSConfiguration? {
        guard let certificate = s[text: "api-tls-certificate"], let key = s[text: "api-tls-private-key"] else { return nil }
        warnIfOthersCanRead(key, what: "the API's private key", logger: logger)
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            var c = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            if let ca = s[text: "api-tls-ca-cert"] {
                c.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
                // Clients prove who they are with a certificate; their host names mean nothing here.
                c.certificateVerification = .noHostnameVerification
            }
            return c
        } catch {
            throw ValidationError("API TLS (\(certificate), \(key)): \(error)")
        }
    }

    static func server(_ tls: TLSConfiguration?) throws -> HTTPServerBuilder {
        guard let tls else { return .http1() }
        return try .tls(.http1(), tlsConfiguration: tls)
    }

    /// Logs a warning when a file holding a secret (a private key, tokens, a password) may be
    /// read by every user of the machine (its group reading it, as docs/deploy.md does, is fine).
    static func warnIfOthersCanRead(_ path: String, what: String, logger: Logger) {
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int, mode & 0o004 != 0 else { return }
        logger.warning("\(what) can be read by every user: chmod o-rwx it (0640 or 0600)",
                       metadata: ["file": "\(path)", "mode": "\(String(mode & 0o777, radix: 8))"])
    }

    /// Logs a warning when a listener without TLS is open beyond this machine.
    static func warnIfPlaintext(_ host: String, what: String, logger: Logger) {
        guard !["127.0.0.1", "::1", "localhost"].contains(host) else { return }
        logger.warning("\(what) listens without TLS beyond this machine", metadata: ["address": "\(host)"])
    }
}
