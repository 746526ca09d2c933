#!/usr/bin/env python3
"""Writes the handcrafted seed inputs under Fuzz/Corpus/<target>/seed-*: one valid input per
thing each target parses (a real vhost-user session, valid rings, TSO/UFO frames, tagged frames,
the example YAML, every control request). Layouts are documented at the top of each target's
source in Fuzz/Sources. Re-run after changing a layout; crash inputs (crash-*) are kept."""
import json, os, struct, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Corpus")

def write(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)

# ---- vhost-user: records of op (kind | fd mask << 2), code, sel, length u16, payload
MEMFD, SMALL, EV1, EV2, PIPE = 1, 2, 4, 8, 16
def msg(code, payload=b"", fds=0, need_reply=False):
    return bytes([fds << 2, code, 1 if need_reply else 0]) + struct.pack("<H", len(payload)) + payload
def u64(v): return struct.pack("<Q", v)
def state(i, n): return struct.pack("<II", i, n)
def region(gpa, size, uva, off): return struct.pack("<QQQQ", gpa, size, uva, off)
UVA = 0x7F00_0000_0000
FEATURES = (1 << 32) | (1 << 30) | (1 << 29) | (1 << 28) | (1 << 15) | 1 | (1 << 11)
PROTOCOL = 1 | 4 | 8 | 16 | (1 << 15) | (1 << 16)
def ring(i, size, kick_fds=EV1, call_fds=EV2, nofd=False):
    word = i | (0x100 if nofd else 0)
    return (msg(8, state(i, size)) +
            msg(9, struct.pack("<II", i, 0) + u64(UVA + 0x10000 * (i + 1)) + u64(UVA + 0x10000 * (i + 1) + 0x2000)
                + u64(UVA + 0x10000 * (i + 1) + 0x1000) + u64(0)) +
            msg(10, state(i, 0)) +
            msg(13, u64(word), 0 if nofd else call_fds) +
            msg(12, u64(word), 0 if nofd else kick_fds) +
            msg(18, state(i, 1), need_reply=True))
session = (msg(1) + msg(3) + msg(15) + msg(16, u64(PROTOCOL)) + msg(2, u64(FEATURES)) + msg(17) + msg(36) +
           msg(5, struct.pack("<II", 1, 0) + region(0, 0x40000, UVA, 0), MEMFD, need_reply=True) +
           ring(0, 256) + ring(1, 256) + msg(20, u64(1500), need_reply=True) + msg(19, u64(0x0000_5254_0012_3456)) +
           msg(39, u64(0x0F)) + msg(40) + msg(11, state(1, 0)) + msg(11, state(0, 0)))
write("vhost-user", "session", session)
write("vhost-user", "nofd-rings-reconnect", msg(1) + msg(2, u64(FEATURES)) +
      msg(5, struct.pack("<II", 1, 0) + region(0, 0x40000, UVA, 0), MEMFD) + ring(1, 1, nofd=True) + bytes([2]) +
      msg(15) + msg(16, u64(PROTOCOL)))
write("vhost-user", "add-rem-mem-reg", msg(15) + msg(16, u64(PROTOCOL)) + msg(2, u64(FEATURES)) +
      msg(37, u64(0) + region(0, 0x20000, UVA, 0x10000), MEMFD, need_reply=True) +
      msg(37, u64(0) + region(0x100000, 0x1000, UVA + 0x100000, 0), SMALL, need_reply=True) +
      ring(1, 64) + msg(38, u64(0) + region(0x100000, 0x1000, UVA + 0x100000, 0), need_reply=True) +
      msg(38, u64(0) + region(0, 0x20000, UVA, 0x10000)))
# The guest lays out TX ring 1 (GPA == UVA - UVA base) before starting it: one chain of two buffers.
def guest_write(gpa, blob):
    return bytes([2 | (1 << 2)]) + struct.pack("<HB", gpa // 4, len(blob)) + blob
tx_ring = (guest_write(0x20000, struct.pack("<QIHHQIHH", 0x30000, 100, 1, 1, 0x3FFF0, 40, 0, 0)) +
           guest_write(0x21000, struct.pack("<HHH", 0, 1, 0)))
write("vhost-user", "tx-ring-walk", msg(15) + msg(16, u64(PROTOCOL)) + msg(2, u64(FEATURES)) +
      msg(5, struct.pack("<II", 1, 0) + region(0, 0x40000, UVA, 0), MEMFD, need_reply=True) + tx_ring + ring(1, 8))
# The same session as one byte stream cut in odd places (kind 1 records).
stream = b""
for code, payload, fds in [(1, b"", 0), (5, struct.pack("<II", 1, 0) + region(0, 0x40000, UVA, 0), MEMFD)]:
    stream += struct.pack("<III", code, 1, len(payload)) + payload
write("vhost-user", "split-stream", bytes([1 | (MEMFD << 2)]) + struct.pack("<H", 7) + stream[:7] +
      bytes([1]) + struct.pack("<H", len(stream) - 7) + stream[7:])

# ---- split queue: config, last avail u16, 12 ops, then guest memory from GPA 0
DESC, AVAIL, USED = 0x0, 0x400, 0x600
NEXT, WRITE, INDIRECT = 1, 2, 4
def memory(descs, avail, extra=()):
    m = bytearray(0x4400)
    for i, (addr, length, flags, nxt) in enumerate(descs):
        struct.pack_into("<QIHH", m, DESC + 16 * i, addr, length, flags, nxt)
    struct.pack_into("<HH", m, AVAIL, 0, len(avail))
    for i, h in enumerate(avail):
        struct.pack_into("<H", m, AVAIL + 4 + 2 * i, h)
    for at, blob in extra:
        m[at:at + len(blob)] = blob
    return bytes(m)
indirect_table = struct.pack("<QIHHQIHH", 0x3100, 100, NEXT, 1, 0x3200, 100, 0, 0)
tx = memory([(0x2000, 64, NEXT, 1), (0x7FF0, 32, 0, 0), (0x4000, 32, INDIRECT, 0)], [0, 2],
            [(0x4000, indirect_table)])
write("split-queue", "tx-chains", bytes([3 | 0x10 | 0x20]) + struct.pack("<H", 0) + bytes([0x08, 0, 4, 5, 0, 6, 0, 0, 0, 0, 0, 0]) + tx)
rx = memory([(0x2000, 2048, WRITE, 0), (0x3000, 60, WRITE | NEXT, 2), (0x3800, 1500, WRITE, 0)], [0, 1])
write("split-queue", "rx-mergeable", bytes([3 | 0x10 | 0x40]) + struct.pack("<H", 0) + bytes([2 | 8, 3 | 16, 2 | 24, 4, 3, 0, 0, 0, 0, 0, 0, 0]) + rx)
write("split-queue", "rx-tight-limits", bytes([2 | 0x80]) + struct.pack("<H", 0) + bytes([2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) + rx)

# ---- offload: sender u16, receiver u16, virtio-net header (12), frame
CSUM, GUEST_CSUM, HOST_TSO4, HOST_TSO6, HOST_UFO = 1, 2, 1 << 11, 1 << 12, 1 << 14
SENDER = CSUM | HOST_TSO4 | HOST_TSO6 | HOST_UFO | (1 << 13)
def net_header(flags, gso, hdr_len, gso_size, cs_start, cs_off):
    return struct.pack("<BBHHHHH", flags, gso, hdr_len, gso_size, cs_start, cs_off, 0)
def ether(ethertype, tags=()):
    h = bytes.fromhex("525400000002525400000001")
    for t in tags:
        h += struct.pack(">HH", 0x8100, t)
    return h + struct.pack(">H", ethertype)
def ipv4(proto, payload_len, options=b""):
    ihl = 5 + len(options) // 4
    return struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + payload_len, 0x1234, 0x4000, 64, proto, 0,
                       bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + options
def ipv6(next_header, payload_len):
    return struct.pack(">IHBB16s16s", 0x6 << 28, payload_len, next_header, 64, b"\x20\x01" + b"\0" * 13 + b"\x01",
                       b"\x20\x01" + b"\0" * 13 + b"\x02")
def tcp(): return struct.pack(">HHIIBBHHH", 40000, 5201, 1000, 0, 5 << 4, 0x18, 65535, 0, 0)
payload = bytes(i & 0xFF for i in range(1000))
f = ether(0x0800) + ipv4(6, 20 + len(payload)) + tcp() + payload
write("offload", "tso4", struct.pack("<HHB", SENDER, 0, 0) + net_header(1, 1, 54, 300, 34, 16) + f)
write("offload", "tso4-guest-csum", struct.pack("<HHB", SENDER, GUEST_CSUM, 1) + net_header(1, 1, 54, 300, 34, 16) + f)
f = ether(0x0800, [10]) + ipv4(6, 20 + len(payload), b"\x01\x01\x01\x00") + tcp() + payload
write("offload", "tso4-tagged-options", struct.pack("<HHB", SENDER, 0, 2) + net_header(1, 1, 62, 500, 42, 16) + f)
f = ether(0x86DD) + ipv6(0, 8 + 20 + len(payload))[:6] + bytes([0, 64]) + ipv6(0, 0)[8:] + bytes([6, 0, 1, 4, 0, 0, 0, 0]) + tcp() + payload
write("offload", "tso6-hop-by-hop", struct.pack("<HHB", SENDER, 0, 0) + net_header(1, 4, 82, 700, 62, 16) + f)
udp = struct.pack(">HHHH", 5000, 6000, 8 + len(payload), 0) + payload
f = ether(0x0800) + ipv4(17, len(udp)) + udp
write("offload", "ufo", struct.pack("<HHB", SENDER, 0, 0) + net_header(1, 3, 42, 400, 34, 6) + f)
f = ether(0x0800) + ipv4(6, 20 + 100) + tcp() + payload[:100]
write("offload", "partial-checksum", struct.pack("<HHB", CSUM, 0, 1) + net_header(1, 0, 0, 0, 34, 16) + f)

# ---- vlan: records of port, burst-1, then per frame length u8 + bytes
def frame(dst, src, tags=(), ethertype=0x0800, body=46):
    h = bytes.fromhex(dst) + bytes.fromhex(src)
    for t in tags:
        h += struct.pack(">HH", 0x8100, t)
    return h + struct.pack(">H", ethertype) + bytes(body)
def burst(port, frames):
    out = bytes([port, len(frames) - 1])
    for fr in frames:
        out += bytes([len(fr)]) + fr
    return out
A, B, C, BC = "525400000001", "525400000002", "525400000003", "ffffffffffff"
write("vlan", "access-trunk", burst(0, [frame(BC, A)]) + burst(2, [frame(A, B, [10]), frame(BC, C, [20])]) +
      burst(0, [frame(B, A)]) + burst(2, [frame(A, C, [0x2000 | 100]), frame(A, B)]) + bytes([0xF5]) +
      burst(4, [frame(B, C, [4094]), frame(A, C, [0])]))
write("vlan", "tagged-on-access-and-runts", burst(1, [frame(BC, A, [20]), frame(BC, A)[:10], frame(BC, A, [20])[:16]]) +
      burst(3, [frame(BC, B), frame(BC, B, [10])]) + burst(6, [frame(BC, A)]) + burst(5, [frame(BC, "010000000001")]))

# ---- config: the example and a small file with every port kind
cfg = os.path.join(root, "..", "..", "Config", "switchyard.example.yaml")
with open(cfg, "rb") as f:
    write("config", "example.yaml", f.read())
write("config", "readme.yaml", b"""switch:
  fdb: { aging-seconds: 300, capacity: 8192 }
  socket-directory: /run/switchyard
  control-socket: /run/switchyard/control.sock
  datapath: { cpus: [1], idle: sleep }
ports:
  - { name: vm1, type: vhost-user, socket: vm1.sock, mode: server, vlan: { access: 10 } }
  - { name: vm2, type: vhost-user, socket: /var/lib/vm2.sock, mode: client, queues: 2,
      vlan: { trunk: { allowed: [10, 20, "100-110"], native: 1 } } }
  - { name: up0, type: uplink, interface: eth1, vlan: { trunk: { allowed: [10, 20], native: 1 } } }
""")

# ---- control: each request as yardctl sends it (Swift's synthesized Codable for the enum)
requests = {
    "fdb-show": {"fdbShow": {"vlan": 10, "port": "g1"}},
    "fdb-show-all": {"fdbShow": {}},
    "fdb-add": {"fdbAdd": {"port": "g1", "vlan": 10, "mac": "52:54:00:10:00:01"}},
    "fdb-delete": {"fdbDelete": {"vlan": 10, "mac": "52:54:00:10:00:01"}},
    "fdb-flush": {"fdbFlush": {"port": "g1"}},
    "fdb-flush-vlan": {"fdbFlush": {"vlan": 20}},
    "fdb-stats": {"fdbStats": {}},
    "ports": {"ports": {}},
    "stats": {"stats": {}},
    "reload": {"reload": {}},
}
for name, r in requests.items():
    write("control", name, json.dumps(r, sort_keys=True, separators=(",", ":")).encode())
