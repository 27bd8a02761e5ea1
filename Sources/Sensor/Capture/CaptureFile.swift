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


#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pcap or pcapng capture file, read frame by frame in large chunks with bounded memory.
///
/// Reads classic pcap (either byte order, microsecond or nanosecond magic) and pcapng (sections in
/// either byte order, several interfaces each with its own link type and `if_tsresol`/`if_tsoffset`,
/// Enhanced, Simple and obsolete Packet Blocks; other blocks are skipped). The file is read with
/// `read(2)` into one buffer of `chunkSize + maxBlockLength` bytes, whatever its size, and frames are
/// handed out as pointers into that buffer: no allocation per frame.
///
/// Every length in the file is checked before it is used: a frame longer than `maxFrameLength` is an
/// error (never an allocation), a block whose trailing length differs from its leading one is
/// malformed, and a file that ends inside a record is `truncated`. The frames delivered before an
/// error are valid; the error tells the byte offset and how many frames were read.
///
/// Not thread-safe; one reader per thread.
public final class CaptureFile {
    /// The container format.
    public enum Format: Sendable, Hashable {
        /// Classic libpcap format.
        case pcap
        /// pcap Next Generation (RFC draft-ietf-opsawg-pcapng).
        case pcapng
    }

    /// Limits and buffer sizes.
    public struct Options: Sendable, Hashable {
        /// The largest captured frame accepted; a longer one is a `tooLarge` error.
        /// 256 KiB is libpcap's own maximum snapshot length.
        public var maxFrameLength: Int = 256 * 1024
        /// The largest pcapng block that is parsed (a larger packet or interface block is an
        /// error; a larger block of another type is skipped without being buffered).
        public var maxBlockLength: Int = 256 * 1024 + 64 * 1024
        /// The most interfaces one pcapng section may describe.
        public var maxInterfaces: Int = 4096
        /// How much is read from the file at a time.
        public var chunkSize: Int = 1 << 20
        /// The link types accepted; an interface of another type is an `unsupported` error naming
        /// it and these. Nil (the default): every link type is delivered.
        public var linkTypes: [LinkType]?

        /// The default limits.
        public init() {}
    }

    /// One capturing interface (pcap files have exactly one).
    public struct Interface: Sendable, Hashable {
        /// The interface's link type.
        public var linkType: LinkType
        /// The snapshot length (0: unlimited).
        public var snapLength: Int
        /// Nanoseconds = (ticks × multiplier) / divisor for decimal resolutions; `binaryShift` ≥ 0
        /// for 2^-n resolutions.
        var multiplier: UInt64 = 1000
        var divisor: UInt64 = 1
        var binaryShift: Int = -1
        var offsetSeconds: Int64 = 0

        init(linkType: LinkType, snapLength: Int) {
            self.linkType = linkType
            self.snapLength = snapLength
        }

        /// Sets the resolution from an `if_tsresol` value: 10^-n, or 2^-n when the top bit is set.
        mutating func setResolution(_ value: UInt8) {
            if value & 0x80 != 0 {
                binaryShift = Int(value & 0x7f)
            } else {
                binaryShift = -1
                let exponent = Int(value)
                if exponent <= 9 {
                    multiplier = Interface.powerOfTen(9 - exponent)
                    divisor = 1
                } else {
                    multiplier = 1
                    divisor = Interface.powerOfTen(min(exponent - 9, 19))
                }
            }
        }

        static func powerOfTen(_ n: Int) -> UInt64 {
            var value: UInt64 = 1
            for _ in 0..<n { value = value &* 10 }
            return value
        }

        /// Nanoseconds since the epoch for a timestamp in this interface's ticks.
        func nanoseconds(ticks: UInt64) -> Int64 {
            var ns: UInt64
            if binaryShift >= 0 {
                let (high, low) = ticks.multipliedFullWidth(by: 1_000_000_000)
                let shift = binaryShift
                if shift == 0 {
                    ns = low
                } else if shift < 64 {
                    ns = (high << UInt64(64 - shift)) | (low >> UInt64(shift))
                } else if shift < 128 {
                    ns = high >> UInt64(shift - 64)
                } else {
                    ns = 0
                }
            } else if divisor > 1 {
                ns = ticks / divisor
            } else {
                ns = ticks &* multiplier
            }
            return Int64(bitPattern: ns) &+ offsetSeconds &* 1_000_000_000
        }
    }

    /// The file's format, from its magic number.
    @exclusivity(unchecked)
    public private(set) var format: Format = .pcap
    /// The interfaces of the current pcapng section (one for pcap files), in index order.
    @exclusivity(unchecked)
    public private(set) var interfaces: [Interface] = []
    /// How many frames have been delivered so far.
    @exclusivity(unchecked)
    public private(set) var framesRead: Int = 0
    /// The limits in force.
    public let options: Options

    private let fd: Int32
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    /// The unread bytes are `buffer[start..<end]`.
    @exclusivity(unchecked)
    private var start = 0
    @exclusivity(unchecked)
    private var end = 0
    /// The file offset of `buffer[0]`.
    @exclusivity(unchecked)
    private var base: Int64 = 0
    @exclusivity(unchecked)
    private var atEndOfFile = false
    /// Whether multi-byte fields are in the other byte order than this machine's.
    @exclusivity(unchecked)
    private var swapped = false
    /// pcap: whether record timestamps carry nanoseconds (else microseconds).
    @exclusivity(unchecked)
    private var nanosecondPCAP = false
    /// An error already reported: reading does not resume after one.
    @exclusivity(unchecked)
    private var failure: CaptureError?

    /// The file offset of the next unread byte (the next record or block).
    public var offset: Int64 { base &+ Int64(start) }

    /// Opens a capture file and reads its header.
    /// - Throws: `CaptureError` (`system` when it cannot be opened, `notACapture`, `truncated`,
    ///   `unsupported`); the file is closed again.
    public init(path: String, options: Options = Options()) throws(CaptureError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CaptureError(.system, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        #if canImport(Glibc)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        self.fd = fd
        self.options = CaptureFile.sanitized(options)
        self.capacity = self.options.chunkSize + self.options.maxBlockLength + 64
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        format = try readFileHeader()
    }

    /// Reads a capture held in memory (the bytes are copied once; for fuzzing and tests).
    /// - Throws: `CaptureError` when the header cannot be read.
    public init(bytes: UnsafeRawBufferPointer, options: Options = Options()) throws(CaptureError) {
        self.fd = -1
        self.options = CaptureFile.sanitized(options)
        self.capacity = max(bytes.count, 1)
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        if let source = bytes.baseAddress, bytes.count > 0 {
            buffer.copyMemory(from: source, byteCount: bytes.count)
        }
        self.end = bytes.count
        self.atEndOfFile = true
        format = try readFileHeader()
    }

    /// Reads a capture held in an array (copied once).
    /// - Throws: `CaptureError` when the header cannot be read.
    public convenience init(bytes: [UInt8], options: Options = Options()) throws(CaptureError) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        defer { copy.deallocate() }
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        try self.init(bytes: UnsafeRawBufferPointer(copy), options: options)
    }

    deinit {
        if fd >= 0 { close(fd) }
        buffer.deallocate()
    }

    private static func sanitized(_ options: Options) -> Options {
        var o = options
        o.maxFrameLength = min(max(o.maxFrameLength, 64), 64 << 20)
        o.maxBlockLength = min(max(o.maxBlockLength, o.maxFrameLength + 64), 128 << 20)
        o.maxInterfaces = min(max(o.maxInterfaces, 1), 1 << 20)
        o.chunkSize = min(max(o.chunkSize, 4096), 64 << 20)
        return o
    }

    // MARK: Reading

    /// The next frame, or nil at the end of the file.
    ///
    /// The frame's bytes are valid until the next call.
    /// - Throws: `CaptureError` for a truncated, malformed or oversized record; after an error
    ///   every later call throws the same error.
    public func next() throws(CaptureError) -> CapturedFrame? {
        if let failure { throw failure }
        do throws(CaptureError) {
            switch format {
            case .pcap: return try nextPCAP()
            case .pcapng: return try nextPCAPNG()
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// Reads up to `limit` frames into `frames` (replacing its contents), all valid together until
    /// the next call: a batch ends early rather than move the buffer under frames already in it.
    /// Empty at the end of the file.
    /// - Throws: `CaptureError` as ``next()`` does; an error after the batch's first frame is
    ///   thrown by the next call, so every frame before it is delivered.
    public func nextBatch(into frames: inout [CapturedFrame], limit: Int = 32) throws(CaptureError) {
        frames.removeAll(keepingCapacity: true)
        while frames.count < limit {
            if !frames.isEmpty && !nextFrameIsBuffered() { return }
            do throws(CaptureError) {
                guard let frame = try next() else { return }
                frames.append(frame)
            } catch {
                if frames.isEmpty { throw error }
                return
            }
        }
    }

    /// Whether the next record is a frame held whole in the buffer (reading it moves nothing).
    private func nextFrameIsBuffered() -> Bool {
        guard failure == nil else { return false }
        let unread = end &- start
        switch format {
        case .pcap:
            guard unread >= 16 else { return false }
            let capturedLength = Int(u32(8))
            return capturedLength <= options.maxFrameLength && unread >= 16 &+ capturedLength
        case .pcapng:
            guard unread >= 8 else { return false }
            let type = u32(0)
            guard type == CaptureFile.enhancedPacket || type == CaptureFile.simplePacket || type == CaptureFile.obsoletePacket else {
                return false
            }
            let length = Int(u32(4))
            return length <= options.maxBlockLength && unread >= length
        }
    }

    /// Calls `body` with every remaining frame, in file order.
    /// - Throws: `CaptureError` at the first record that cannot be read (the frames before it
    ///   have been delivered).
    public func forEachFrame(_ body: (CapturedFrame) -> Void) throws(CaptureError) {
        while let frame = try next() { body(frame) }
    }

    private func fail(_ code: CaptureError.Code, _ message: String, at offset: Int64) -> CaptureError {
        CaptureError(code, message, offset: offset, framesRead: framesRead)
    }

    /// Makes at least `count` unread bytes available; false if the file ends first.
    @inline(__always)
    private func ensure(_ count: Int) throws(CaptureError) -> Bool {
        if end &- start >= count { return true }
        return try refill(count)
    }

    private func refill(_ count: Int) throws(CaptureError) -> Bool {
        if atEndOfFile || fd < 0 { return false }
        if count > capacity { return false }
        if capacity &- start < count || start > capacity / 2 {
            let unread = end &- start
            if unread > 0 { buffer.copyMemory(from: buffer + start, byteCount: unread) }
            base &+= Int64(start)
            start = 0
            end = unread
        }
        while end &- start < count {
            let n = read(fd, buffer + end, capacity &- end)
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(.system, "read failed: \(String(cString: strerror(errno)))", at: base &+ Int64(end))
            }
            if n == 0 {
                atEndOfFile = true
                return false
            }
            end &+= n
        }
        return true
    }

    /// Discards `count` bytes (a large block that is not parsed); false if the file ends first.
    private func skip(_ count: Int64) throws(CaptureError) -> Bool {
        var remaining = count
        while remaining > 0 {
            if end == start {
                guard try refill(1) else { return false }
            }
            let step = Int(min(remaining, Int64(end &- start)))
            start &+= step
            remaining -= Int64(step)
        }
        return true
    }

    @inline(__always)
    private func u16(_ at: Int) -> UInt16 {
        let v = (buffer + start + at).loadUnaligned(as: UInt16.self)
        return swapped ? v.byteSwapped : v
    }

    @inline(__always)
    private func u32(_ at: Int) -> UInt32 {
        let v = (buffer + start + at).loadUnaligned(as: UInt32.self)
        return swapped ? v.byteSwapped : v
    }

    @inline(__always)
    private func u64(_ at: Int) -> UInt64 {
        let v = (buffer + start + at).loadUnaligned(as: UInt64.self)
        return swapped ? v.byteSwapped : v
    }

    // MARK: Headers

    private func readFileHeader() throws(CaptureError) -> Format {
        guard try ensure(4) else {
            throw fail(end == start ? .notACapture : .truncated, "the file is too short for a capture header", at: 0)
        }
        let magic = (buffer + start).loadUnaligned(as: UInt32.self)
        switch magic {
        case 0x0A0D_0D0A:
            interfaces = []
            return .pcapng
        case 0xA1B2_C3D4, 0xA1B2_3C4D, 0xD4C3_B2A1, 0x4D3C_B2A1:
            swapped = magic == 0xD4C3_B2A1 || magic == 0x4D3C_B2A1
            nanosecondPCAP = magic == 0xA1B2_3C4D || magic == 0x4D3C_B2A1
            guard try ensure(24) else { throw fail(.truncated, "the file ends inside the 24-byte pcap header", at: 0) }
            let major = u16(4)
            guard major == 2 else { throw fail(.unsupported, "pcap version \(major).\(u16(6)) is not supported (only 2.x)", at: 4) }
            let snapLength = Int(u32(16))
            // The top bits of the link-type field carry FCS information (pcap spec §4): keep the low 16.
            let linkType = LinkType(rawValue: u32(20) & 0xFFFF)
            try checkLinkType(linkType, at: 20)
            var interface = Interface(linkType: linkType, snapLength: snapLength)
            interface.setResolution(nanosecondPCAP ? 9 : 6)
            interfaces = [interface]
            start &+= 24
            return .pcap
        default:
            throw fail(.notACapture, String(format: "unknown magic number 0x%08x: not a pcap or pcapng file", UInt32(bigEndian: magic)), at: 0)
        }
    }

    private func checkLinkType(_ linkType: LinkType, at offset: Int64) throws(CaptureError) {
        guard let accepted = options.linkTypes, !accepted.contains(linkType) else { return }
        let names = accepted.map { "\($0) (\($0.rawValue))" }.joined(separator: ", ")
        throw fail(.unsupported, "link type \(linkType) (\(linkType.rawValue)) is not supported (supported: \(names))", at: offset)
    }

    // MARK: pcap

    private func nextPCAP() throws(CaptureError) -> CapturedFrame? {
        let recordOffset = offset
        guard try ensure(16) else {
            if end == start { return nil }
            throw fail(.truncated, "the file ends inside a 16-byte record header", at: recordOffset)
        }
        let seconds = u32(0)
        let fraction = u32(4)
        let capturedLength = Int(u32(8))
        let originalLength = Int(u32(12))
        guard capturedLength <= options.maxFrameLength else {
            throw fail(.tooLarge, "a record of \(capturedLength) captured bytes exceeds the limit of \(options.maxFrameLength)", at: recordOffset)
        }
        guard try ensure(16 &+ capturedLength) else {
            throw fail(.truncated, "the file ends inside a record of \(capturedLength) bytes", at: recordOffset)
        }
        let nanoseconds = Int64(seconds) &* 1_000_000_000 &+ (nanosecondPCAP ? Int64(fraction) : Int64(fraction) &* 1000)
        let bytes = UnsafeRawBufferPointer(start: buffer + start + 16, count: capturedLength)
        start &+= 16 &+ capturedLength
        framesRead &+= 1
        return CapturedFrame(
            timestamp: Timestamp(nanoseconds: nanoseconds), linkType: interfaces[0].linkType, interfaceIndex: 0,
            originalLength: originalLength, bytes: bytes)
    }

    // MARK: pcapng

    private static let sectionHeader: UInt32 = 0x0A0D_0D0A
    private static let interfaceDescription: UInt32 = 1
    private static let obsoletePacket: UInt32 = 2
    private static let simplePacket: UInt32 = 3
    private static let enhancedPacket: UInt32 = 6

    private func nextPCAPNG() throws(CaptureError) -> CapturedFrame? {
        while true {
            let blockOffset = offset
            guard try ensure(8) else {
                if end == start { return nil }
                throw fail(.truncated, "the file ends inside a block header", at: blockOffset)
            }
            let rawType = (buffer + start).loadUnaligned(as: UInt32.self)
            if rawType == CaptureFile.sectionHeader {
                guard try ensure(12) else { throw fail(.truncated, "the file ends inside a section header block", at: blockOffset) }
                let magic = (buffer + start + 8).loadUnaligned(as: UInt32.self)
                switch magic {
                case 0x1A2B_3C4D: swapped = false
                case 0x4D3C_2B1A: swapped = true
                default:
                    throw fail(.malformed, String(format: "section header with unknown byte-order magic 0x%08x", magic), at: blockOffset)
                }
            }
            let type = u32(0)
            let length = Int(u32(4))
            guard length >= 12, length % 4 == 0 else {
                throw fail(.malformed, "block of type \(type) has length \(length) (must be a multiple of 4, at least 12)", at: blockOffset)
            }
            let isParsed = type == CaptureFile.sectionHeader || type == CaptureFile.interfaceDescription
                || type == CaptureFile.enhancedPacket || type == CaptureFile.simplePacket || type == CaptureFile.obsoletePacket
            if length > options.maxBlockLength {
                if isParsed {
                    throw fail(.tooLarge, "block of type \(type) has length \(length), over the limit of \(options.maxBlockLength)", at: blockOffset)
                }
                guard try skip(Int64(length)) else {
                    throw fail(.truncated, "the file ends inside a block of type \(type) and length \(length)", at: blockOffset)
                }
                continue
            }
            guard try ensure(length) else {
                throw fail(.truncated, "the file ends inside a block of type \(type) and length \(length)", at: blockOffset)
            }
            guard Int(u32(length - 4)) == length else {
                throw fail(.malformed, "block of type \(type): trailing length \(u32(length - 4)) differs from \(length)", at: blockOffset)
            }
            if interfaces.isEmpty && type != CaptureFile.sectionHeader && blockOffset == 0 {
                throw fail(.malformed, "a pcapng file must start with a section header block", at: blockOffset)
            }
            switch type {
            case CaptureFile.sectionHeader:
                try readSectionHeader(length: length, at: blockOffset)
            case CaptureFile.interfaceDescription:
                try readInterfaceDescription(length: length, at: blockOffset)
            case CaptureFile.enhancedPacket, CaptureFile.obsoletePacket:
                let isEnhanced = type == CaptureFile.enhancedPacket
                guard length >= 32 else { throw fail(.malformed, "packet block of length \(length) is shorter than 32", at: blockOffset) }
                let index = isEnhanced ? Int(u32(8)) : Int(u16(8))
                guard index < interfaces.count else {
                    throw fail(.malformed, "packet block names interface \(index), but the section has \(interfaces.count)", at: blockOffset)
                }
                let ticks = UInt64(u32(12)) << 32 | UInt64(u32(16))
                let capturedLength = Int(u32(20))
                let originalLength = Int(u32(24))
                guard capturedLength <= options.maxFrameLength else {
                    throw fail(.tooLarge, "a packet of \(capturedLength) captured bytes exceeds the limit of \(options.maxFrameLength)", at: blockOffset)
                }
                guard capturedLength <= length &- 32 else {
                    throw fail(.malformed, "a packet of \(capturedLength) captured bytes does not fit its block of \(length)", at: blockOffset)
                }
                let interface = interfaces[index]
                let bytes = UnsafeRawBufferPointer(start: buffer + start + 28, count: capturedLength)
                start &+= length
                framesRead &+= 1
                return CapturedFrame(
                    timestamp: Timestamp(nanoseconds: interface.nanoseconds(ticks: ticks)), linkType: interface.linkType,
                    interfaceIndex: index, originalLength: originalLength, bytes: bytes)
            case CaptureFile.simplePacket:
                guard length >= 16 else { throw fail(.malformed, "simple packet block of length \(length) is shorter than 16", at: blockOffset) }
                guard let interface = interfaces.first else {
                    throw fail(.malformed, "simple packet block before any interface description", at: blockOffset)
                }
                let originalLength = Int(u32(8))
                var capturedLength = min(originalLength, length &- 16)
                if interface.snapLength > 0 { capturedLength = min(capturedLength, interface.snapLength) }
                guard capturedLength <= options.maxFrameLength else {
                    throw fail(.tooLarge, "a packet of \(capturedLength) captured bytes exceeds the limit of \(options.maxFrameLength)", at: blockOffset)
                }
                let bytes = UnsafeRawBufferPointer(start: buffer + start + 12, count: capturedLength)
                start &+= length
                framesRead &+= 1
                // A simple packet block has no timestamp (pcapng §4.4): it carries the epoch.
                return CapturedFrame(timestamp: Timestamp(nanoseconds: 0), linkType: interface.linkType, interfaceIndex: 0,
                                     originalLength: originalLength, bytes: bytes)
            default:
                break
            }
            start &+= length
        }
    }

    private func readSectionHeader(length: Int, at blockOffset: Int64) throws(CaptureError) {
        guard length >= 28 else { throw fail(.malformed, "section header block of length \(length) is shorter than 28", at: blockOffset) }
        let major = u16(12)
        guard major == 1 else {
            throw fail(.unsupported, "pcapng version \(major).\(u16(14)) is not supported (only 1.x)", at: blockOffset)
        }
        interfaces = []
        interfaces.reserveCapacity(4)
    }

    private func readInterfaceDescription(length: Int, at blockOffset: Int64) throws(CaptureError) {
        guard length >= 20 else { throw fail(.malformed, "interface description block of length \(length) is shorter than 20", at: blockOffset) }
        guard interfaces.count < options.maxInterfaces else {
            throw fail(.tooLarge, "more than \(options.maxInterfaces) interfaces in one section", at: blockOffset)
        }
        let linkType = LinkType(rawValue: UInt32(u16(8)))
        try checkLinkType(linkType, at: blockOffset)
        var interface = Interface(linkType: linkType, snapLength: Int(u32(12)))
        interface.setResolution(6)
        // Options (pcapng §3.5): code, length, value padded to 32 bits; bounded by the block.
        var cursor = 16
        let limit = length &- 4
        while cursor &+ 4 <= limit {
            let code = u16(cursor)
            let optionLength = Int(u16(cursor + 2))
            let value = cursor &+ 4
            guard value &+ optionLength <= limit else { break }
            if code == 0 { break }
            if code == 9 && optionLength >= 1 {
                interface.setResolution((buffer + start + value).load(as: UInt8.self))
            } else if code == 14 && optionLength == 8 {
                interface.offsetSeconds = Int64(bitPattern: u64(value))
            }
            cursor = value &+ ((optionLength &+ 3) & ~3)
        }
        interfaces.append(interface)
    }
}
