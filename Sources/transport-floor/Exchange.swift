import ArgumentParser

/// The bytes of one push, round trip by round trip: what the controller end writes, then what the
/// switch end writes back once all of it has arrived. Written `OUT:BACK,OUT:BACK`, e.g. `600:32,24:24`
/// for a bundle's adds and barrier then its commit.
struct Exchange: ExpressibleByArgument, Sendable {
    var out: [Int]
    var back: [Int]

    init?(argument: String) {
        var out: [Int] = [], back: [Int] = []
        for step in argument.split(separator: ",") {
            let parts = step.split(separator: ":")
            guard parts.count == 2, let o = Int(parts[0]), let b = Int(parts[1]), o > 0, b > 0 else { return nil }
            out.append(o)
            back.append(b)
        }
        guard !out.isEmpty else { return nil }
        self.out = out
        self.back = back
    }
}
