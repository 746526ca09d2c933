#!/usr/bin/env python3
"""vlan-responder.py — answers ARP and ICMP echo for one IPv4 address on one 802.1Q VLAN.

A stand-in for a `vlan 10` sub-interface where the host kernel has no 802.1Q support: it reads the
interface through a raw AF_PACKET socket, answers ARP requests and ICMP echo requests that arrive
tagged with --vlan for --ip, and sends its replies tagged with the same VLAN.

    vlan-responder.py --interface IF --vlan 10 --ip 10.0.10.254 --mac 02:5a:00:00:0a:fe \
                      [--parent PID]

The kernel moves a received 802.1Q tag into skb metadata before packet taps see the frame, so the
tag comes from PACKET_AUXDATA (tp_vlan_tci, TP_STATUS_VLAN_VALID); a tag still in the bytes (no
offload) is read from the bytes. Replies carry the tag in their bytes. The responder exits when
--parent is gone (checked every second), on SIGTERM, or when the interface disappears.
"""
import argparse
import os
import select
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_VLAN_VALID = 1 << 4
# struct tpacket_auxdata: u32 status, len, snaplen; u16 mac, net, vlan_tci, vlan_tpid
AUXDATA = struct.Struct("=IIIHHHH")


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise argparse.ArgumentTypeError(f"not a MAC address: {text}")
    return bytes(int(p, 16) for p in parts)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def vlan_of(frame, ancillary):
    """Returns (vid, payload offset, ethertype) or None for an untagged frame."""
    for level, kind, data in ancillary:
        if level == SOL_PACKET and kind == PACKET_AUXDATA and len(data) >= AUXDATA.size:
            status, _, _, _, _, tci, _ = AUXDATA.unpack_from(data)
            if status & TP_STATUS_VLAN_VALID:
                return tci & 0x0FFF, 14, struct.unpack_from("!H", frame, 12)[0]
    if len(frame) >= 18 and struct.unpack_from("!H", frame, 12)[0] in (ETH_P_8021Q, ETH_P_8021AD):
        tci, ethertype = struct.unpack_from("!HH", frame, 14)
        return tci & 0x0FFF, 18, ethertype
    return None


def tagged(dst, src, vid, ethertype, payload):
    frame = dst + src + struct.pack("!HHH", ETH_P_8021Q, vid, ethertype) + payload
    # Pad to the 64-byte minimum (60 without FCS) as a NIC would.
    return frame + b"\0" * max(0, 60 - len(frame))


def arp_reply(frame, off, vid, my_mac, my_ip):
    if len(frame) < off + 28:
        return None
    htype, ptype, hlen, plen, op = struct.unpack_from("!HHBBH", frame, off)
    if (htype, ptype, hlen, plen, op) != (1, ETH_P_IP, 6, 4, 1):
        return None
    sha, spa, tpa = frame[off + 8:off + 14], frame[off + 14:off + 18], frame[off + 24:off + 28]
    if tpa != my_ip:
        return None
    arp = struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 2) + my_mac + my_ip + sha + spa
    return tagged(sha, my_mac, vid, ETH_P_ARP, arp)


def echo_reply(frame, off, vid, my_mac, my_ip):
    if len(frame) < off + 20:
        return None
    ihl = (frame[off] & 0x0F) * 4
    if frame[off] >> 4 != 4 or ihl < 20 or frame[off + 9] != 1 or frame[off + 16:off + 20] != my_ip:
        return None
    total = struct.unpack_from("!H", frame, off + 2)[0]
    if total < ihl + 8 or len(frame) < off + total:
        return None
    icmp = bytearray(frame[off + ihl:off + total])
    if icmp[0] != 8:
        return None
    icmp[0] = 0
    icmp[2:4] = b"\0\0"
    icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
    src_ip = frame[off + 12:off + 16]
    ip = bytearray(frame[off:off + ihl])
    ip[8] = 64
    ip[10:12] = b"\0\0"
    ip[12:16], ip[16:20] = my_ip, src_ip
    ip[10:12] = struct.pack("!H", checksum(bytes(ip)))
    return tagged(frame[6:12], my_mac, vid, ETH_P_IP, bytes(ip) + bytes(icmp))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interface", required=True)
    parser.add_argument("--vlan", type=int, required=True)
    parser.add_argument("--ip", required=True)
    parser.add_argument("--mac", type=mac_bytes, required=True)
    parser.add_argument("--parent", type=int, default=0)
    args = parser.parse_args()
    my_ip = socket.inet_aton(args.ip)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.bind((args.interface, ETH_P_ALL))
    ancillary_space = socket.CMSG_SPACE(AUXDATA.size)
    counts = {"arp": 0, "echo": 0}
    print(f"vlan-responder: {args.ip} on {args.interface} VLAN {args.vlan}", flush=True)

    while True:
        ready, _, _ = select.select([sock], [], [], 1.0)
        if args.parent and not os.path.exists(f"/proc/{args.parent}"):
            print("vlan-responder: parent gone, exiting", flush=True)
            return 0
        if not ready:
            continue
        try:
            frame, ancillary, _, address = sock.recvmsg(65536, ancillary_space)
        except OSError as error:  # ENETDOWN while the link is down: keep serving; ENODEV: gone
            if error.errno == 19:
                print("vlan-responder: interface gone, exiting", flush=True)
                return 0
            continue
        if address[2] == PACKET_OUTGOING or len(frame) < 14:
            continue
        tag = vlan_of(frame, ancillary)
        if tag is None or tag[0] != args.vlan:
            continue
        vid, off, ethertype = tag
        if ethertype == ETH_P_ARP:
            reply, kind = arp_reply(frame, off, vid, args.mac, my_ip), "arp"
        elif ethertype == ETH_P_IP:
            reply, kind = echo_reply(frame, off, vid, args.mac, my_ip), "echo"
        else:
            continue
        if reply is None:
            continue
        try:
            sock.send(reply)
            counts[kind] += 1
            print(f"vlan-responder: {kind} reply #{counts[kind]}", flush=True)
        except OSError as error:
            print(f"vlan-responder: send failed: {error}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
