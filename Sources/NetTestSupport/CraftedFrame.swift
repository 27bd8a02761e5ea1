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


/// A hand-made Ethernet frame that a lab VM sends out of its interface, bypassing its own stack,
/// to see whether the bridge (and whatever filters it) lets it through.
///
/// Every case names the Ethernet source MAC separately from the addresses inside, so a test can
/// spoof either or both. Destination MACs are chosen by the lab (see
/// ``defaultDestinationMAC(capturingVM:)``) unless a test passes one explicitly.
public enum CraftedFrame: Sendable, Hashable {
    /// An IPv4 UDP datagram (source port 40000, payload `hyperward-probe`).
    case ipv4(srcMAC: String, srcIP: String, dstIP: String, udpPort: Int)
    /// An IPv6 UDP datagram (source port 40000, payload `hyperward-probe`).
    case ipv6(srcMAC: String, srcIP: String, dstIP: String, udpPort: Int)
    /// An ARP reply (RFC 826 op 2) claiming `senderIP` is at `senderMAC`, addressed to `targetIP`.
    case arpReply(srcMAC: String, senderMAC: String, senderIP: String, targetIP: String)
    /// A DHCPOFFER (RFC 2131) from a rogue server at `serverIP`, broadcast to UDP port 68,
    /// offering 10.77.0.200 with `serverIP` as router.
    case dhcpOffer(srcMAC: String, serverIP: String)
    /// An ICMPv6 router advertisement (RFC 4861 §4.2) to ff02::1 with hop limit 255, announcing
    /// prefix fd66::/64 for autoconfiguration. `srcIP` should be link-local for a valid RA.
    case routerAdvertisement(srcMAC: String, srcIP: String)
    /// An unsolicited ICMPv6 neighbour advertisement (RFC 4861 §4.4) to ff02::1 with the override
    /// flag, claiming `target` is at `srcMAC`.
    case neighbourAdvertisement(srcMAC: String, srcIP: String, target: String)
    /// A broadcast frame of an arbitrary EtherType (e.g. 0x88cc LLDP, 0x8100 VLAN, 0x86dd) with a
    /// 46-byte zero payload.
    case ethertype(srcMAC: String, type: UInt16)

    /// The Ethernet source address of the frame.
    public var sourceMAC: String {
        switch self {
        case .ipv4(let mac, _, _, _), .ipv6(let mac, _, _, _), .arpReply(let mac, _, _, _),
             .dhcpOffer(let mac, _), .routerAdvertisement(let mac, _), .neighbourAdvertisement(let mac, _, _),
             .ethertype(let mac, _):
            return mac
        }
    }

    /// The Ethernet destination a real sender would use: the capturing VM's MAC for unicast IP
    /// and ARP replies, all-nodes multicast (33:33:00:00:00:01) for RA and NA, broadcast for DHCP
    /// offers and raw EtherTypes.
    public func defaultDestinationMAC(capturingVM vm: BridgeLab.VM) -> String {
        switch self {
        case .ipv4, .ipv6, .arpReply: return vm.mac
        case .routerAdvertisement, .neighbourAdvertisement: return "33:33:00:00:00:01"
        case .dhcpOffer, .ethertype: return "ff:ff:ff:ff:ff:ff"
        }
    }

    /// The arguments of the frame-crafting script after the interface and destination MAC:
    /// a kind keyword then the fields, each validated first so nothing odd reaches the script.
    func scriptArguments() throws -> [String] {
        switch self {
        case .ipv4(let mac, let src, let dst, let port):
            return ["ipv4", try Validate.mac(mac), try Validate.ipv4(src), try Validate.ipv4(dst), String(try Validate.port(port))]
        case .ipv6(let mac, let src, let dst, let port):
            return ["ipv6", try Validate.mac(mac), try Validate.ipv6(src), try Validate.ipv6(dst), String(try Validate.port(port))]
        case .arpReply(let mac, let senderMAC, let senderIP, let targetIP):
            return ["arp-reply", try Validate.mac(mac), try Validate.mac(senderMAC), try Validate.ipv4(senderIP), try Validate.ipv4(targetIP)]
        case .dhcpOffer(let mac, let server):
            return ["dhcp-offer", try Validate.mac(mac), try Validate.ipv4(server)]
        case .routerAdvertisement(let mac, let src):
            return ["ra", try Validate.mac(mac), try Validate.ipv6(src)]
        case .neighbourAdvertisement(let mac, let src, let target):
            return ["na", try Validate.mac(mac), try Validate.ipv6(src), try Validate.ipv6(target)]
        case .ethertype(let mac, let type):
            return ["ethertype", try Validate.mac(mac), String(type)]
        }
    }
}
