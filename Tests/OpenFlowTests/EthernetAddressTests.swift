import OpenFlow
import Testing

@Suite struct EthernetAddressTests {
    @Test(arguments: [("aa:bb:cc:dd:ee:ff", 0xaabb_ccdd_eeff), ("AA-BB-CC-DD-EE-FF", 0xaabb_ccdd_eeff), ("a:b:c:d:e:f", 0x0a0b_0c0d_0e0f),
                      ("02:00:00:00:01:09", 0x0200_0000_0109)])
    func parses(text: String, value: UInt64) {
        #expect(EthernetAddress(text)?.rawValue == value)
    }

    @Test(arguments: ["", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:ff:00", "aaa:bb:cc:dd:ee:ff", "aa::bb:cc:dd:ee", "gg:bb:cc:dd:ee:ff",
                      "aa:bb:cc:dd:ee:", ":aa:bb:cc:dd:ee", "aa bb cc dd ee ff"])
    func refuses(text: String) {
        #expect(EthernetAddress(text) == nil)
    }
}
