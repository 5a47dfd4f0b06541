import Synchronization
import OpenFlow
import TaaSPolicy

/// A tap flow's traffic filter as the switch matches it: alternatives, each a list of OXM fields
/// (one per ethertype left open and per masked block of each port range); a frame matches the
/// filter when it matches any alternative. Identified by the filter's text alone. A class: rules,
/// copies and counted IN rules hold an optional one each, mostly nil, and a reference costs a
/// word where the value would cost three.
final class TrafficMatch: Hashable, Sendable {
    let text: String
    let alternatives: [[OXMField]]

    init(_ f: TrafficFilter) {
        text = f.text
        let types: [TrafficFilter.EtherType] = f.ethertype.map { [$0] } ?? [.ipv4, .ipv6]
        let proto = f.protocolNumber
        // Port fields by protocol (OpenFlow has one pair per protocol).
        let portFields: (OXMFieldID, OXMFieldID)? = switch proto {
        case 6: (.tcpSrc, .tcpDst)
        case 17: (.udpSrc, .udpDst)
        case 132: (.sctpSrc, .sctpDst)
        default: nil
        }
        func blocks(_ r: TrafficFilter.PortRange?, _ id: OXMFieldID?) -> [OXMField?] {
            guard let r, !r.isEverything, let id else { return [nil] }
            return PortMasks.cover(r.min...r.max).map { b in OXMField(id, UInt64(b.value), mask: b.mask == 0xffff ? nil : UInt64(b.mask)) }
        }
        let sources = blocks(f.sourcePorts, portFields?.0), dests = blocks(f.destinationPorts, portFields?.1)
        var out: [[OXMField]] = []
        for t in types {
            var base: [OXMField] = [.ethType(t == .ipv4 ? 0x0800 : 0x86dd)]
            if let proto { base.append(OXMField(.ipProto, UInt64(proto))) }
            for (p, src) in [(f.sourceIPPrefix, true), (f.destinationIPPrefix, false)] {
                guard let p, p.length > 0 else { continue }
                base.append(Self.prefix(p, source: src))
            }
            for s in sources {
                for d in dests { out.append(base + [s, d].compactMap { $0 }) }
            }
        }
        alternatives = out
    }

    static func == (a: TrafficMatch, b: TrafficMatch) -> Bool { a === b || a.text == b.text }
    func hash(into h: inout Hasher) { h.combine(text) }

    static func prefix(_ p: IPPrefix, source: Bool) -> OXMField {
        let (hi, lo) = p.network, (mhi, mlo) = p.mask
        if !p.isIPv6 {
            return OXMField(source ? .ipv4Src : .ipv4Dst, lo, mask: p.length == 32 ? nil : mlo)
        }
        let full = p.length == 128
        return OXMField(source ? .ipv6Src : .ipv6Dst, value: OXMValue(hi: hi, lo: lo), mask: full ? nil : OXMValue(hi: mhi, lo: mlo))
    }
}

/// The L3/L4 match fields of filter flows, numbered for `PackedKey.extra`: one number per
/// distinct list, shared by every engine of the process (equal lists get equal numbers, so keys
/// compare as their matches do). Lists are never forgotten; a cloud has few distinct filters.
enum TrafficFields {
    private struct Table {
        var numbers: [[OXMField]: UInt16] = [:]
        var lists: [[OXMField]] = [[]]
    }
    private static let table = Mutex(Table())

    /// The list's number (0: the empty list). Past 65,535 distinct lists the last number is
    /// reused for every new one; the model tests would notice long before.
    static func number(_ fields: [OXMField]) -> UInt16 {
        guard !fields.isEmpty else { return 0 }
        return table.withLock { t in
            if let n = t.numbers[fields] { return n }
            guard t.lists.count <= Int(UInt16.max) else { return UInt16.max }
            let n = UInt16(t.lists.count)
            t.lists.append(fields)
            t.numbers[fields] = n
            return n
        }
    }

    static func fields(_ n: UInt16) -> [OXMField] {
        table.withLock { t in Int(n) < t.lists.count ? t.lists[Int(n)] : [] }
    }
}
