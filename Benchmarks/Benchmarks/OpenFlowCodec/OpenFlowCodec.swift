import Benchmark
import NIOCore
import OpenFlow

/// The canonical mirror FLOW_MOD (128 bytes): match in_port + eth_dst; apply-actions
/// output, set_field tun_id, output.
let mirror = OpenFlowMessage(xid: 7, .flowMod(FlowMod(
    cookie: 0x1234, priority: 100,
    match: [.inPort(1), .ethDst(EthernetAddress(0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff))],
    instructions: [.applyActions([.output(3), .setField(.tunnelID(0x64)), .output(100)])])))

/// A multipart FLOW reply of 1,000 entries as a switch sends it: three messages (400, 400 and
/// 200 entries), since 1,000 entries of ~136 bytes exceed one 64 KiB message.
let flowReply1000: [OpenFlowMessage] = {
    guard case .flowMod(let f) = mirror.payload else { fatalError() }
    let stats = (0..<1000).map { i in
        FlowStats(tableID: 0, priority: 100, cookie: UInt64(i), packetCount: 1, byteCount: 64,
                  match: [.inPort(PortNumber(UInt32(i % 64 + 1))), .ethDst(EthernetAddress(rawValue: UInt64(i)))],
                  instructions: f.instructions)
    }
    return stride(from: 0, to: 1000, by: 400).map { start in
        let part = Array(stats[start..<min(start + 400, 1000)])
        return OpenFlowMessage(xid: 9, .multipartReply(MultipartReply(flags: start + 400 < 1000 ? 1 : 0, .flow(part))))
    }
}()

/// A multipart FLOW reply with 400 entries (about 55 KB), as a switch sends for a dump.
let flowReply: OpenFlowMessage = {
    guard case .flowMod(let f) = mirror.payload else { fatalError() }
    let stats = (0..<1000).map { i in
        FlowStats(tableID: 0, priority: 100, cookie: UInt64(i), packetCount: 1, byteCount: 64,
                  match: [.inPort(PortNumber(UInt32(i % 64 + 1))), .ethDst(EthernetAddress(rawValue: UInt64(i)))],
                  instructions: f.instructions)
    }
    // 1,000 entries of ~136 bytes exceed one 64 KiB message; a switch sends them in three parts.
    return OpenFlowMessage(xid: 9, .multipartReply(MultipartReply(flags: 1, .flow(Array(stats.prefix(400))))))
}()

let benchmarks: @Sendable () -> Void = {
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal]
    let config = Benchmark.Configuration(metrics: metrics, scalingFactor: .mega, maxDuration: .seconds(5))

    Benchmark("Encode mirror FLOW_MOD", configuration: config) { benchmark in
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            blackHole(buffer.writeOpenFlowMessage(mirror))
        }
    }

    Benchmark("Decode mirror FLOW_MOD", configuration: config) { benchmark in
        let wire = mirror.encoded()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var b = wire
            blackHole(try b.readOpenFlowMessage())
        }
    }

    let big = Benchmark.Configuration(metrics: metrics, scalingFactor: .kilo, maxDuration: .seconds(5))

    Benchmark("Encode FLOW reply, 400 entries", configuration: big) { benchmark in
        var buffer = ByteBufferAllocator().buffer(capacity: 65536)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            blackHole(buffer.writeOpenFlowMessage(flowReply))
        }
    }

    Benchmark("Encode FLOW reply, 1000 entries (3 messages)", configuration: big) { benchmark in
        var buffer = ByteBufferAllocator().buffer(capacity: 160_000)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            buffer.clear()
            for m in flowReply1000 { blackHole(buffer.writeOpenFlowMessage(m)) }
        }
    }

    Benchmark("Decode FLOW reply, 1000 entries (3 messages)", configuration: big) { benchmark in
        var wire = ByteBufferAllocator().buffer(capacity: 160_000)
        for m in flowReply1000 { wire.writeOpenFlowMessage(m) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var b = wire
            while let m = try b.readOpenFlowMessage() { blackHole(m) }
        }
    }

    Benchmark("Decode FLOW reply, 400 entries", configuration: big) { benchmark in
        let wire = flowReply.encoded()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var b = wire
            blackHole(try b.readOpenFlowMessage())
        }
    }
}
