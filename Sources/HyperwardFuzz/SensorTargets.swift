//===----------------------------------------------------------------------===//
//
// This source file is part of the Hyperward open source project
//
// Copyright (c) 2026 the Hyperward project authors
// Licensed under Apache License v2.0
//
// SPDX-License-Identifier: Apache-2.0
//
//===----------------------------------------------------------------------===//


import Sensor

/// The Sensor's input layer: capture files, the packet decoders, and the flow table.
extension FuzzTarget {
    /// The targets whose seeds the Sensor tests replay.
    static let sensorTargets: [FuzzTarget] = [.capture, .frame]

    /// The most frames one input is read for (a 16 KiB input holds at most ~1,000 records).
    static let maxFramesPerInput = 4096

    /// Link types a `frame` input's first byte picks from.
    static let frameLinkTypes: [LinkType] = [.ethernet, .linuxSLL, .linuxSLL2, .raw, .ipv4, .ipv6, .rawBSD12, LinkType(rawValue: 147)]

    /// Checks what the decoder promises about one packet of `count` captured bytes.
    static func checkPacket(_ packet: DecodedPacket, capturedCount count: Int, _ f: FuzzTarget) throws(FuzzFailure) {
        if packet.payloadOffset < 0 || packet.payloadLength < 0 || packet.payloadOffset + packet.payloadLength > count {
            throw f.fail("payload \(packet.payloadOffset)+\(packet.payloadLength) outside a frame of \(count) bytes")
        }
        if packet.declaredPayloadLength < packet.payloadLength {
            throw f.fail("declared payload \(packet.declaredPayloadLength) < captured \(packet.payloadLength)")
        }
        if packet.neighborDiscovery.optionsOffset > count || packet.networkOffset > count || packet.transportOffset > count {
            throw f.fail("an offset past the frame's \(count) bytes")
        }
        if packet.vlanCount > 2 { throw f.fail("\(packet.vlanCount) VLAN tags") }
        if Int(packet.extensionHeaderCount) > PacketDecoder.maxExtensionHeaders { throw f.fail("\(packet.extensionHeaderCount) extension headers") }
        if packet.transport != .none && packet.network != .ipv4 && packet.network != .ipv6 {
            throw f.fail("a transport layer without IP")
        }
    }

    // MARK: Capture files

    /// Reads the input as a capture file, decodes every frame and feeds a small flow table.
    static func capture(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.capture
        var options = CaptureFile.Options()
        options.maxFrameLength = 65_535
        options.maxInterfaces = 64
        let reader: CaptureFile
        do { reader = try CaptureFile(bytes: bytes, options: options) } catch {
            if error.framesRead != 0 { throw f.fail("a header error after \(error.framesRead) frames") }
            return
        }
        var decoder = PacketDecoder()
        let limit = 16
        var table = FlowTable(configuration: .init(maxFlows: limit, timeouts: FlowTimeouts(new: 2, tcpEstablished: 5, established: 3, closed: 1)))
        var frames = 0
        var failure: FuzzFailure?
        do {
            while frames < maxFramesPerInput, let frame = try reader.next() {
                frames += 1
                if frame.bytes.count > options.maxFrameLength || frame.bytes.count > bytes.count {
                    throw f.fail("a frame of \(frame.bytes.count) bytes from an input of \(bytes.count)")
                }
                if frame.originalLength < frame.bytes.count { throw f.fail("original length under the captured length") }
                if frame.interfaceIndex < 0 || frame.interfaceIndex >= max(reader.interfaces.count, 1) {
                    throw f.fail("interface \(frame.interfaceIndex) of \(reader.interfaces.count)")
                }
                let packet = decoder.decode(frame)
                do throws(FuzzFailure) {
                    try checkPacket(packet, capturedCount: frame.bytes.count, f)
                    if let update = table.process(packet) {
                        if update.deliveredLength > 0 {
                            let end = update.deliveredOffset + update.deliveredLength
                            if update.deliveredOffset < packet.payloadOffset || end > packet.payloadOffset + packet.payloadLength {
                                throw f.fail("delivered \(update.deliveredOffset)..<\(end) outside the payload \(packet.payloadRange)")
                            }
                        }
                        if table.record(update)?.id != update.flowID { throw f.fail("the updated flow cannot be looked up") }
                    }
                } catch {
                    failure = error
                    break
                }
                if table.statistics.active > limit { throw f.fail("\(table.statistics.active) flows over the cap of \(limit)") }
            }
        } catch let error as FuzzFailure {
            throw error
        } catch let error as CaptureError {
            if error.framesRead != frames { throw f.fail("error says \(error.framesRead) frames, \(frames) were read") }
            if error.offset < 0 || error.offset > Int64(bytes.count) { throw f.fail("error offset \(error.offset) outside \(bytes.count) bytes") }
        } catch {
            throw f.fail("unexpected error \(error)")
        }
        if let failure { throw failure }
        if decoder.statistics.packets != frames { throw f.fail("\(decoder.statistics.packets) decoded of \(frames) frames") }
        let s = table.statistics
        if s.created != s.active + s.expired + s.evicted + s.reused {
            throw f.fail("flows created \(s.created) != active \(s.active) + expired \(s.expired) + evicted \(s.evicted) + reused \(s.reused)")
        }
        for record in table.records where table.record(for: record.key)?.id != record.id {
            throw f.fail("flow \(record.key) cannot be looked up")
        }
    }

    // MARK: Frames

    /// The first byte picks a link type, the second how many bytes the snapshot length cut; the rest is the frame.
    static func frame(_ bytes: [UInt8]) throws(FuzzFailure) {
        let f = FuzzTarget.frame
        guard bytes.count >= 2 else { return }
        let linkType = frameLinkTypes[Int(bytes[0]) % frameLinkTypes.count]
        let frame = Array(bytes.dropFirst(2))
        var decoder = PacketDecoder()
        var failure: FuzzFailure?
        for original in [frame.count, frame.count + Int(bytes[1]) * 8] {
            frame.withUnsafeBytes { raw in
                let packet = decoder.decode(CapturedFrame(timestamp: Timestamp(nanoseconds: 0), linkType: linkType, originalLength: original, bytes: raw))
                do throws(FuzzFailure) { try checkPacket(packet, capturedCount: frame.count, f) } catch { failure = error }
            }
            if let failure { throw failure }
        }
        if decoder.statistics.packets != 2 { throw f.fail("\(decoder.statistics.packets) packets counted for 2") }
    }
}
