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

import CLibvirt
import Foundation
import HyperwardCore
import HyperwardHost
import Synchronization

/// libvirt through its C API: the one way Hyperward reads domains, hears their lifecycle and
/// changes them (secrets and starts here, incident response's changes in `LibvirtDomainControl`).
///
/// Reads go over a read-only connection where they can (a read-only socket needs no write access
/// to libvirt's daemon). No command runs `virsh`.
public final class LibvirtConnection: @unchecked Sendable {
    public let uri: String
    let pointer: virConnectPtr
    let lock = NSLock()

    /// Opens a connection to `uri` (default: the system QEMU driver), read-only unless `readOnly`
    /// is false.
    public init(uri: String = LibvirtConnection.systemURI, readOnly: Bool = true) throws(HyperwardError) {
        Libvirt.silenceDefaultErrorPrinting()
        let opened = readOnly ? virConnectOpenReadOnly(uri) : virConnectOpen(uri)
        guard let opened else {
            throw HyperwardError(.libvirt, "cannot connect to libvirt at \(uri): \(Libvirt.lastError())")
        }
        self.pointer = opened
        self.uri = uri
    }

    deinit { virConnectClose(pointer) }

    /// The system QEMU driver.
    public static let systemURI = "qemu:///system"

    /// A domain's identity and run state.
    public struct Domain: Sendable, Hashable {
        public var name: String
        public var uuid: String
        /// Running or paused (it has a QEMU process).
        public var isActive: Bool
        /// libvirt's state: running, paused, shut off, …
        public var state: State
    }

    /// `virDomainState`, named.
    public enum State: String, Sendable, Hashable {
        case noState = "no state", running, blocked, paused, shuttingDown = "in shutdown", shutOff = "shut off"
        case crashed, suspended = "pmsuspended", unknown

        init(_ raw: Int32) {
            switch UInt32(bitPattern: raw) {
            case VIR_DOMAIN_NOSTATE.rawValue: self = .noState
            case VIR_DOMAIN_RUNNING.rawValue: self = .running
            case VIR_DOMAIN_BLOCKED.rawValue: self = .blocked
            case VIR_DOMAIN_PAUSED.rawValue: self = .paused
            case VIR_DOMAIN_SHUTDOWN.rawValue: self = .shuttingDown
            case VIR_DOMAIN_SHUTOFF.rawValue: self = .shutOff
            case VIR_DOMAIN_CRASHED.rawValue: self = .crashed
            case VIR_DOMAIN_PMSUSPENDED.rawValue: self = .suspended
            default: self = .unknown
            }
        }
    }

    /// Every domain (or only the active ones), sorted by name.
    public func domains(activeOnly: Bool = false) throws(HyperwardError) -> [Domain] {
        lock.lock()
        defer { lock.unlock() }
        var list: UnsafeMutablePointer<virDomainPtr?>?
        let flags = activeOnly ? VIR_CONNECT_LIST_DOMAINS_ACTIVE.rawValue : 0
        let count = virConnectListAllDomains(pointer, &list, flags)
        guard count >= 0, let list else {
            throw HyperwardError(.libvirt, "cannot list the domains of \(uri): \(Libvirt.lastError())")
        }
        defer {
            for i in 0..<Int(count) { if let d = list[i] { virDomainFree(d) } }
            free(list)
        }
        var result: [Domain] = []
        for i in 0..<Int(count) {
            guard let domain = list[i], let described = Self.describe(domain) else { continue }
            result.append(described)
        }
        return result.sorted { $0.name < $1.name }
    }

    /// The domain named `name`, or nil when libvirt has none.
    public func domain(named name: String) -> Domain? {
        lock.lock()
        defer { lock.unlock() }
        guard let domain = virDomainLookupByName(pointer, name) else { return nil }
        defer { virDomainFree(domain) }
        return Self.describe(domain)
    }

    /// The domain's XML (live, or the persistent definition with `inactive`), at most
    /// `DomainXML.maxBytes`; with `secure`, also what `VIR_DOMAIN_XML_SECURE` adds (graphics
    /// passwords: a read-write connection only).
    public func xml(ofDomain name: String, inactive: Bool = false, secure: Bool = false) throws(HyperwardError) -> String {
        lock.lock()
        defer { lock.unlock() }
        guard let domain = virDomainLookupByName(pointer, name) else {
            throw HyperwardError(.notFound, "no domain \(name.debugDescription) in libvirt at \(uri)")
        }
        defer { virDomainFree(domain) }
        let flags = (inactive ? VIR_DOMAIN_XML_INACTIVE.rawValue : 0) | (secure ? VIR_DOMAIN_XML_SECURE.rawValue : 0)
        guard let text = virDomainGetXMLDesc(domain, flags) else {
            throw HyperwardError(.libvirt, "cannot read the XML of \(name): \(Libvirt.lastError())")
        }
        defer { free(text) }
        guard strlen(text) <= DomainXML.maxBytes else {
            throw HyperwardError(.tooLarge, "the XML of \(name) is larger than \(DomainXML.maxBytes) bytes")
        }
        return String(cString: text)
    }

    /// A virtual network's XML, at most `DomainXML.maxBytes`.
    public func xml(ofNetwork name: String) throws(HyperwardError) -> String {
        lock.lock()
        defer { lock.unlock() }
        guard let network = virNetworkLookupByName(pointer, name) else {
            throw HyperwardError(.notFound, "no network \(name.debugDescription) in libvirt at \(uri)")
        }
        defer { virNetworkFree(network) }
        guard let text = virNetworkGetXMLDesc(network, 0) else {
            throw HyperwardError(.libvirt, "cannot read the XML of network \(name): \(Libvirt.lastError())")
        }
        defer { free(text) }
        guard strlen(text) <= DomainXML.maxBytes else {
            throw HyperwardError(.tooLarge, "the XML of network \(name) is larger than \(DomainXML.maxBytes) bytes")
        }
        return String(cString: text)
    }

    static func describe(_ domain: virDomainPtr) -> Domain? {
        guard let namePointer = virDomainGetName(domain) else { return nil }
        var uuid = [CChar](repeating: 0, count: Int(VIR_UUID_STRING_BUFLEN))
        guard virDomainGetUUIDString(domain, &uuid) == 0 else { return nil }
        var state: Int32 = 0
        var reason: Int32 = 0
        let named = virDomainGetState(domain, &state, &reason, 0) == 0 ? State(state) : .unknown
        let uuidText = uuid.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return Domain(name: String(cString: namePointer), uuid: uuidText, isActive: virDomainIsActive(domain) == 1, state: named)
    }
}

/// Process-wide libvirt set-up.
public enum Libvirt {
    /// libvirt prints every error to stderr by default; Hyperward reports them itself.
    private static let silenced: Void = {
        virSetErrorFunc(nil) { _, _ in }
    }()

    public static func silenceDefaultErrorPrinting() { _ = silenced }

    /// The last libvirt error of this thread, as text.
    public static func lastError() -> String {
        guard let message = virGetLastErrorMessage() else { return "unknown libvirt error" }
        return String(cString: message)
    }

    /// libvirt's default event loop, run on a thread of its own for the life of the process: it
    /// must be registered before the connection that listens for events is opened.
    static let eventLoop: Bool = {
        guard virEventRegisterDefaultImpl() == 0 else { return false }
        // A periodic timer wakes the loop, so a deregistration is handled promptly.
        _ = virEventAddTimeout(1000, { _, _ in }, nil, nil)
        let thread = Thread {
            while true { _ = virEventRunDefaultImpl() }
        }
        thread.name = "libvirt-events"
        thread.start()
        return true
    }()
}

extension HyperwardError.Code {
    /// libvirt refused or could not be reached.
    public static let libvirt = HyperwardError.Code("libvirt", exitStatus: ExitStatus.refused)
}

/// Domain lifecycle events (defined, started, stopped, …) from libvirt's
/// `virConnectDomainEventRegisterAny`, as an asynchronous stream. The stream ends when the
/// connection closes (libvirtd restarted or went away) or `stop()` is called; the listener then
/// falls back on whatever periodic check it has.
public final class LibvirtLifecycleEvents: @unchecked Sendable {
    /// One lifecycle event.
    public struct Event: Sendable, Hashable, CustomStringConvertible {
        public var domain: String
        public var uuid: String
        /// defined, undefined, started, suspended, resumed, stopped, shutdown, pmsuspended,
        /// crashed (libvirt's `virDomainEventType`).
        public var kind: String
        public var detail: Int32
        public var description: String { "lifecycle \(kind) of domain \(domain)" }
    }

    public let stream: AsyncStream<Event>
    private let connection: LibvirtConnection
    private let callbackID: Int32
    private let sink: Sink
    private let stopped = Mutex(false)

    final class Sink: @unchecked Sendable {
        let continuation: AsyncStream<Event>.Continuation
        init(_ continuation: AsyncStream<Event>.Continuation) { self.continuation = continuation }
    }

    /// Listens on a read-only connection to `uri`.
    public init(uri: String = LibvirtConnection.systemURI) throws(HyperwardError) {
        guard Libvirt.eventLoop else {
            throw HyperwardError(.libvirt, "cannot start libvirt's event loop: \(Libvirt.lastError())")
        }
        let connection = try LibvirtConnection(uri: uri, readOnly: true)
        var continuation: AsyncStream<Event>.Continuation!
        let stream = AsyncStream<Event>(bufferingPolicy: .bufferingNewest(4096)) { continuation = $0 }
        let sink = Sink(continuation)
        let opaque = Unmanaged.passRetained(sink).toOpaque()
        let lifecycle: virConnectDomainEventCallback = { _, domain, event, detail, opaque in
            guard let domain, let opaque else { return 0 }
            let sink = Unmanaged<Sink>.fromOpaque(opaque).takeUnretainedValue()
            if let described = LibvirtConnection.describe(domain) {
                sink.continuation.yield(Event(domain: described.name, uuid: described.uuid, kind: LibvirtLifecycleEvents.kind(event), detail: detail))
            }
            return 0
        }
        let release: virFreeCallback = { opaque in
            guard let opaque else { return }
            Unmanaged<Sink>.fromOpaque(opaque).release()
        }
        let id = virConnectDomainEventRegisterAny(connection.pointer, nil, Int32(VIR_DOMAIN_EVENT_ID_LIFECYCLE.rawValue),
                                                  unsafeBitCast(lifecycle, to: virConnectDomainEventGenericCallback.self), opaque, release)
        guard id >= 0 else {
            Unmanaged<Sink>.fromOpaque(opaque).release()
            throw HyperwardError(.libvirt, "cannot listen for domain events at \(uri): \(Libvirt.lastError())")
        }
        // A dead daemon is noticed within about 15 s (keepalive every 5 s, 3 missed), and the
        // close callback ends the stream.
        _ = virConnectSetKeepAlive(connection.pointer, 5, 3)
        let closeOpaque = Unmanaged.passRetained(sink).toOpaque()
        let closed: virConnectCloseFunc = { _, _, opaque in
            guard let opaque else { return }
            Unmanaged<Sink>.fromOpaque(opaque).takeUnretainedValue().continuation.finish()
        }
        _ = virConnectRegisterCloseCallback(connection.pointer, closed, closeOpaque, release)
        self.stream = stream
        self.connection = connection
        self.callbackID = id
        self.sink = sink
    }

    /// Stops listening and ends the stream.
    public func stop() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        _ = virConnectDomainEventDeregisterAny(connection.pointer, callbackID)
        sink.continuation.finish()
    }

    deinit { stop() }

    static func kind(_ event: Int32) -> String {
        switch UInt32(bitPattern: event) {
        case VIR_DOMAIN_EVENT_DEFINED.rawValue: "defined"
        case VIR_DOMAIN_EVENT_UNDEFINED.rawValue: "undefined"
        case VIR_DOMAIN_EVENT_STARTED.rawValue: "started"
        case VIR_DOMAIN_EVENT_SUSPENDED.rawValue: "suspended"
        case VIR_DOMAIN_EVENT_RESUMED.rawValue: "resumed"
        case VIR_DOMAIN_EVENT_STOPPED.rawValue: "stopped"
        case VIR_DOMAIN_EVENT_SHUTDOWN.rawValue: "shutdown"
        case VIR_DOMAIN_EVENT_PMSUSPENDED.rawValue: "pmsuspended"
        case VIR_DOMAIN_EVENT_CRASHED.rawValue: "crashed"
        default: "event \(event)"
        }
    }
}
