import NIOCore

extension ByteBuffer {
    /// Reads one framed OpenFlow message.
    ///
    /// Returns nil (and consumes nothing) when the buffer does not yet hold a whole
    /// message. A malformed message is consumed and reported as a `DecodingError`
    /// carrying the OFPT_ERROR to answer it with; only a header whose length is below 8
    /// leaves the stream unframeable (`framingLost`). `flowStats` says how much of a flow
    /// statistics reply's entries to decode.
    public mutating func readOpenFlowMessage(flowStats: FlowStatsDetail = .full) throws(DecodingError) -> OpenFlowMessage? {
        guard readableBytes >= OpenFlow.headerLength else { return nil }
        // One look at the header instead of four bounds-checked reads.
        let (version, type, length, xid) = withUnsafeReadableBytes { raw in
            (raw[0], raw[1], Int(UInt16(bigEndian: raw.loadUnaligned(fromByteOffset: 2, as: UInt16.self))),
             UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        }
        guard length >= OpenFlow.headerLength else {
            throw DecodingError(code: .badRequestBadLen, reason: "header length below 8", xid: xid, messageType: type,
                                offendingBytes: getBytes(at: readerIndex, length: 8) ?? [], framingLost: true)
        }
        guard readableBytes >= length else { return nil }
        let start = readerIndex
        let result: Result<OpenFlowMessage, ParseError>
        if flowStats == .countersOnly, type == MessageType.multipartReply.rawValue, version == OpenFlow.version13,
           let counted = flowCountersReply(xid: xid, length: length) {
            result = counted
        } else if type == MessageType.flowMod.rawValue, version == OpenFlow.version13 {
            // The hot path decodes straight from the buffer's bytes.
            result = withUnsafeReadableBytes { raw in
                var r = RawReader(raw, offset: OpenFlow.headerLength, end: length)
                do throws(ParseError) {
                    let f = try FlowMod.read(from: &r)
                    return .success(OpenFlowMessage(version: version, xid: xid, .flowMod(f)))
                } catch {
                    return .failure(error)
                }
            }
        } else {
            var message = getSlice(at: start + OpenFlow.headerLength, length: length - OpenFlow.headerLength) ?? ByteBuffer()
            do throws(ParseError) {
                guard version == OpenFlow.version13 || type == MessageType.hello.rawValue else {
                    throw ParseError(.badRequestBadVersion, "unsupported version")
                }
                let payload = try OpenFlowMessage.Payload.read(type: MessageType(rawValue: type), version: version, xid: xid, body: &message)
                result = .success(OpenFlowMessage(version: version, xid: xid, payload))
            } catch {
                result = .failure(error)
            }
        }
        switch result {
        case .success(let m):
            moveReaderIndex(forwardBy: length)
            return m
        case .failure(let error):
            // The spec asks the error to echo the start of the offending message; the whole of it is consumed.
            let offending = getBytes(at: start, length: Swift.min(length, OpenFlow.errorDataLength)) ?? []
            moveReaderIndex(forwardBy: length)
            throw DecodingError(code: error.code, reason: error.reason, xid: xid, messageType: type, offendingBytes: offending,
                                framingLost: false)
        }
    }

    /// A flow statistics reply decoded counters-only (nil: another kind of multipart reply).
    private func flowCountersReply(xid: UInt32, length: Int) -> Result<OpenFlowMessage, ParseError>? {
        withUnsafeReadableBytes { raw in
            var r = RawReader(raw, offset: OpenFlow.headerLength, end: length)
            do throws(ParseError) {
                return try r.flowCountersReply().map { .success(OpenFlowMessage(xid: xid, .multipartReply($0))) }
            } catch {
                return .failure(error)
            }
        }
    }

    /// Writes one message, header included; returns the bytes written.
    @discardableResult
    public mutating func writeOpenFlowMessage(_ m: OpenFlowMessage) -> Int {
        // Flow programming is the hot path: FLOW_MODs, bare or in a bundle, go out in one raw write.
        switch m.payload {
        case .flowMod(let f):
            let length = 8 + f.bodyLength
            return writeRaw(length) { w in
                w.header(m, length: length)
                f.write(to: &w)
            }
        case .bundleAdd(let a) where a.trailer.isEmpty:
            if case .flowMod(let f) = a.message {
                let inner = 8 + f.bodyLength
                let length = 24 + inner
                return writeRaw(length) { w in
                    w.header(m, length: length)
                    w.write(ExperimenterID.onf); w.write(BundleExtension.addExpType)
                    w.write(a.bundleID); w.zeros(2); w.write(a.flags.rawValue)
                    w.header(OpenFlowMessage(xid: m.xid, a.message), length: inner)
                    f.write(to: &w)
                }
            }
        default:
            break
        }
        let start = writerIndex
        writeInteger(m.version)
        writeInteger(m.type.rawValue)
        writeInteger(UInt16(0))  // length, set below
        writeInteger(m.xid)
        m.payload.write(to: &self, xid: m.xid)
        let length = writerIndex - start
        setInteger(UInt16(truncatingIfNeeded: length), at: start + 2)
        return length
    }
}

extension RawWriter {
    @inlinable
    mutating func header(_ m: OpenFlowMessage, length: Int) {
        write(m.version)
        write(m.type.rawValue)
        write(UInt16(truncatingIfNeeded: length))
        write(m.xid)
    }
}

extension OpenFlowMessage {
    /// The message encoded into a new buffer.
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var b = allocator.buffer(capacity: 128)
        b.writeOpenFlowMessage(self)
        return b
    }
}

extension OpenFlowMessage.Payload {
    /// Decodes a body whose header has been read; the body must be consumed exactly.
    static func read(type: MessageType, version: UInt8, xid: UInt32, body b: inout ByteBuffer) throws(ParseError) -> Self {
        let p: Self
        switch type {
        case .hello: p = .hello(try .read(from: &b))
        case .error: p = .error(try .read(from: &b))
        case .echoRequest: p = .echoRequest(b.readBytes(length: b.readableBytes) ?? [])
        case .echoReply: p = .echoReply(b.readBytes(length: b.readableBytes) ?? [])
        case .experimenter:
            let exp: UInt32 = try b.read(or: .badRequestBadLen)
            let expType: UInt32 = try b.read(or: .badRequestBadLen)
            switch (exp, expType) {
            case (ExperimenterID.onf, BundleExtension.controlExpType): p = .bundleControl(try .read(from: &b))
            case (ExperimenterID.onf, BundleExtension.addExpType): p = .bundleAdd(try .read(from: &b, xid: xid, version: version))
            default: p = .experimenter(ExperimenterMessage(experimenter: exp, expType: expType, data: b.readBytes(length: b.readableBytes) ?? []))
            }
        case .featuresRequest: p = .featuresRequest
        case .featuresReply: p = .featuresReply(try .read(from: &b))
        case .getConfigRequest: p = .getConfigRequest
        case .getConfigReply: p = .getConfigReply(try .read(from: &b))
        case .setConfig: p = .setConfig(try .read(from: &b))
        case .packetIn: p = .packetIn(try .read(from: &b))
        case .flowRemoved: p = .flowRemoved(try .read(from: &b))
        case .portStatus: p = .portStatus(try .read(from: &b))
        case .packetOut: p = .packetOut(try .read(from: &b))
        case .flowMod: p = .flowMod(try .read(from: &b))
        case .groupMod: p = .groupMod(try .read(from: &b))
        case .portMod: p = .portMod(try .read(from: &b))
        case .tableMod: p = .tableMod(try .read(from: &b))
        case .multipartRequest: p = .multipartRequest(try .read(from: &b))
        case .multipartReply: p = .multipartReply(try .read(from: &b))
        case .barrierRequest: p = .barrierRequest
        case .barrierReply: p = .barrierReply
        case .queueGetConfigRequest:
            p = .queueGetConfigRequest(port: PortNumber(try b.read(or: .badRequestBadLen)))
            try b.skip(4, or: .badRequestBadLen)
        case .queueGetConfigReply: p = .queueGetConfigReply(try .read(from: &b))
        case .roleRequest: p = .roleRequest(try .read(from: &b))
        case .roleReply: p = .roleReply(try .read(from: &b))
        case .getAsyncRequest: p = .getAsyncRequest
        case .getAsyncReply: p = .getAsyncReply(try .read(from: &b))
        case .setAsync: p = .setAsync(try .read(from: &b))
        case .meterMod: p = .meterMod(try .read(from: &b))
        default: throw ParseError(.badRequestBadType, "unknown message type")
        }
        try b.requireConsumed(or: .badRequestBadLen)
        return p
    }

    func write(to b: inout ByteBuffer, xid: UInt32) {
        switch self {
        case .hello(let h): _ = h.write(to: &b)
        case .error(let e): _ = e.write(to: &b)
        case .echoRequest(let d), .echoReply(let d): b.writeBytes(d)
        case .experimenter(let e): b.writeInteger(e.experimenter); b.writeInteger(e.expType); b.writeBytes(e.data)
        case .bundleControl(let c):
            b.writeInteger(ExperimenterID.onf); b.writeInteger(BundleExtension.controlExpType); _ = c.write(to: &b)
        case .bundleAdd(let a):
            b.writeInteger(ExperimenterID.onf); b.writeInteger(BundleExtension.addExpType); _ = a.write(to: &b, xid: xid)
        case .featuresRequest, .getConfigRequest, .barrierRequest, .barrierReply, .getAsyncRequest: break
        case .featuresReply(let f): _ = f.write(to: &b)
        case .getConfigReply(let c), .setConfig(let c): _ = c.write(to: &b)
        case .packetIn(let p): _ = p.write(to: &b)
        case .flowRemoved(let f): _ = f.write(to: &b)
        case .portStatus(let s): _ = s.write(to: &b)
        case .packetOut(let p): _ = p.write(to: &b)
        case .flowMod(let f): _ = f.write(to: &b)
        case .groupMod(let g): _ = g.write(to: &b)
        case .portMod(let p): _ = p.write(to: &b)
        case .tableMod(let t): _ = t.write(to: &b)
        case .multipartRequest(let r): _ = r.write(to: &b)
        case .multipartReply(let r): _ = r.write(to: &b)
        case .queueGetConfigRequest(let port): b.writeInteger(port.rawValue); b.writeZeros(4)
        case .queueGetConfigReply(let r): _ = r.write(to: &b)
        case .roleRequest(let r), .roleReply(let r): _ = r.write(to: &b)
        case .getAsyncReply(let a), .setAsync(let a): _ = a.write(to: &b)
        case .meterMod(let m): _ = m.write(to: &b)
        }
    }
}
