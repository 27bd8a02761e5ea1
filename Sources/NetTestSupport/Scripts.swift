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


/// The Python programs the lab runs inside namespaces with `python3 -c`, kept here as constants
/// so the library needs no resource files. Each takes its parameters from `sys.argv[1:]`, never
/// from interpolated source text.
enum Scripts {
    /// A TCP echo server or UDP echo-and-record server on `[::]:port` (dual stack).
    /// argv: tcp|udp, port, log file (one line per received chunk), ready file (created once bound).
    static let listener = #"""
import socket, sys, threading
proto, port, log, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
lock = threading.Lock()
def record(data):
    with lock:
        with open(log, "ab") as f:
            f.write(data.replace(b"\n", b" ") + b"\n")
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
def serve(c):
    try:
        while True:
            d = c.recv(4096)
            if not d:
                break
            record(d)
            c.sendall(d)
    except OSError:
        pass
    finally:
        c.close()
if proto == "tcp":
    s.listen(64)
    open(ready, "w").close()
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()
else:
    open(ready, "w").close()
    while True:
        d, a = s.recvfrom(65535)
        record(d)
        try:
            s.sendto(d, a)
        except OSError:
            pass
"""#

    /// Connects over TCP, sends a token and expects it echoed. Exit 0: echoed; 2: no connection;
    /// 3: connected but no echo. argv: address, port, token, timeout seconds.
    static let tcpProbe = #"""
import socket, sys, time
addr, port, token, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), float(sys.argv[4])
deadline = time.monotonic() + timeout
try:
    s = socket.create_connection((addr, port), timeout=timeout)
except OSError as e:
    print("connect:", e, file=sys.stderr)
    sys.exit(2)
try:
    s.sendall(token)
    got = b""
    while len(got) < len(token):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        d = s.recv(4096)
        if not d:
            break
        got += d
except OSError as e:
    print("echo:", e, file=sys.stderr)
    sys.exit(3)
sys.exit(0 if got == token else 3)
"""#

    /// Sends a UDP datagram holding a token three times, 100 ms apart (the first may wait on
    /// ARP/ND resolution). argv: address, port, token.
    static let udpSend = #"""
import socket, sys, time
addr, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(3):
    try:
        s.sendto(token, (addr, port))
    except OSError as e:
        print("send:", e, file=sys.stderr)
    time.sleep(0.1)
"""#

    /// Holds one TCP connection open and answers probes on a Unix socket: each probe line holds a
    /// timeout in seconds; the script sends one byte, waits for its echo, and answers `alive` or
    /// `dead`. Once dead, always dead (a late echo after a dropped probe proves nothing).
    /// Exit 2 when the connection cannot be made. argv: address, port, control socket, ready file.
    static let liveConnection = #"""
import socket, sys
addr, port, ctl, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
try:
    c = socket.create_connection((addr, port), timeout=2)
except OSError as e:
    print("connect:", e, file=sys.stderr)
    sys.exit(2)
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.bind(ctl)
u.listen(4)
open(ready, "w").close()
alive, n = True, 0
while True:
    k, _ = u.accept()
    try:
        line = k.makefile("r").readline().strip()
        wait = float(line) if line else 1.0
        if alive:
            n = n % 255 + 1
            b = bytes([n])
            try:
                c.settimeout(wait)
                c.sendall(b)
                alive = c.recv(1) == b
            except OSError:
                alive = False
        k.sendall(b"alive\n" if alive else b"dead\n")
    except OSError:
        pass
    finally:
        k.close()
"""#

    /// Asks a live-connection script over its Unix socket whether the connection still echoes.
    /// argv: control socket, timeout seconds. Prints `alive` or `dead`.
    static let liveConnectionProbe = #"""
import socket, sys
ctl, wait = sys.argv[1], sys.argv[2]
u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
u.settimeout(float(wait) + 2)
u.connect(ctl)
u.sendall((wait + "\n").encode())
print(u.makefile("r").readline().strip())
"""#

    /// Builds one frame with scapy and sends it twice out of an interface.
    /// argv: interface, destination MAC, kind, then the kind's fields (see `CraftedFrame`).
    static let craftFrame = #"""
import sys
from scapy.layers.l2 import Ether, ARP
from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6, ICMPv6ND_RA, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr, ICMPv6NDOptPrefixInfo
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.packet import Raw
from scapy.sendrecv import sendp
iface, dst, kind, a = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
payload = Raw(b"hyperward-probe")
if kind == "ipv4":
    mac, src, to, port = a
    f = Ether(src=mac, dst=dst) / IP(src=src, dst=to) / UDP(sport=40000, dport=int(port)) / payload
elif kind == "ipv6":
    mac, src, to, port = a
    f = Ether(src=mac, dst=dst) / IPv6(src=src, dst=to) / UDP(sport=40000, dport=int(port)) / payload
elif kind == "arp-reply":
    mac, smac, sip, tip = a
    f = Ether(src=mac, dst=dst) / ARP(op=2, hwsrc=smac, psrc=sip, hwdst=dst, pdst=tip)
elif kind == "dhcp-offer":
    mac, server = a
    chaddr = bytes.fromhex(dst.replace(":", "")) + b"\x00" * 10
    f = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / IP(src=server, dst="255.255.255.255")
         / UDP(sport=67, dport=68)
         / BOOTP(op=2, xid=0x4857, yiaddr="10.77.0.200", siaddr=server, chaddr=chaddr)
         / DHCP(options=[("message-type", "offer"), ("server_id", server), ("subnet_mask", "255.255.255.0"),
                         ("router", server), ("lease_time", 3600), "end"]))
elif kind == "ra":
    mac, src = a
    f = (Ether(src=mac, dst=dst) / IPv6(src=src, dst="ff02::1", hlim=255)
         / ICMPv6ND_RA(routerlifetime=1800) / ICMPv6NDOptSrcLLAddr(lladdr=mac)
         / ICMPv6NDOptPrefixInfo(prefix="fd66::", prefixlen=64, L=1, A=1))
elif kind == "na":
    mac, src, target = a
    f = (Ether(src=mac, dst=dst) / IPv6(src=src, dst="ff02::1", hlim=255)
         / ICMPv6ND_NA(tgt=target, R=0, S=0, O=1) / ICMPv6NDOptDstLLAddr(lladdr=mac))
elif kind == "ethertype":
    mac, t = a
    f = Ether(src=mac, dst=dst, type=int(t)) / Raw(b"\x00" * 46)
else:
    sys.exit("unknown frame kind " + kind)
sendp(f, iface=iface, count=2, inter=0.05, verbose=False)
"""#
}
