import TaaSKeystone
import Testing

@Suite struct KeystoneSettingsTests {
    static let minimal = ["auth_url": "http://keystone:5000/v3", "username": "taas", "password": "secret", "project_name": "service"]

    @Test func keystonemiddlewaresNamesAndDefaults() throws {
        let s = try KeystoneSettings(fields: Self.minimal)
        #expect(s.authURL == "http://keystone:5000/v3" && s.userDomainName == "Default" && s.projectDomainName == "Default")
        #expect(s.tokenCacheTime == 300 && !s.insecure && s.wwwAuthenticateURI == "http://keystone:5000")
        var f = Self.minimal
        f["auth_url"] = "https://cloud.example/identity/"
        f["auth_type"] = "password"
        f["token_cache_time"] = "30"
        f["insecure"] = "True"
        let t = try KeystoneSettings(fields: f)
        #expect(t.authURL == "https://cloud.example/identity/v3" && t.wwwAuthenticateURI == "https://cloud.example/identity")
        #expect(t.tokenCacheTime == 30 && t.insecure)
    }

    @Test func whatIsWrongIsNamed() {
        func problem(_ change: [String: String?]) -> String {
            var f = Self.minimal
            for (k, v) in change { f[k] = v }
            do { _ = try KeystoneSettings(fields: f); return "" } catch { return error.description }
        }
        #expect(problem(["password": nil]).contains("'password' is required"))
        #expect(problem(["auth_url": "keystone:5000"]).contains("http or https URL"))
        #expect(problem(["auth_type": "v3applicationcredential"]).contains("not supported"))
        #expect(problem(["token_cache_time": "-1"]).contains("token_cache_time"))
        #expect(problem(["insecure": "maybe"]).contains("insecure"))
    }
}
