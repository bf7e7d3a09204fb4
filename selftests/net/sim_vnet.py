#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""TCP segments with their virtio_net_hdr, through a packet socket
(PACKET_VNET_HDR), for net_sim_offloads.sh.

  sim_vnet.py send IFACE DST_MAC PAYLOAD [ecn] [v6]
      sends one TCP/IPv4 segment of PAYLOAD bytes from 10.203.0.1:5000 to
      10.203.0.2:5001 (with "v6" TCP/IPv6, fd00:cb::1 to fd00:cb::2) as a
      GSO frame (gso_size 1000, checksum left to the device); with "ecn" it
      carries CWR and VIRTIO_NET_HDR_GSO_ECN.  The
      stack hands it to the driver whole if the interface has the offload,
      and segments it in software if not.
  sim_vnet.py recv IFACE READY SECONDS
      creates READY once bound, then prints one line per TCP segment from
      10.203.0.2 it receives within SECONDS: the virtio_net_hdr the stack
      built from the driver's skb ("flags F gso_type T hdr_len H gso_size S
      csum_start C csum_offset O"), then "len L intact 0|1" (the payload as
      pvlens_net_sim writes it, drivers/net/sim.c).
"""
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86dd
SOL_PACKET = 263
PACKET_VNET_HDR = 15
NEEDS_CSUM = 1
GSO_TCPV4 = 1
GSO_TCPV6 = 4
GSO_ECN = 0x80
HDR = struct.Struct("=BBHHHH")        # host order, as the kernel writes it


def ip_checksum(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def segment(src_mac, dst_mac, payload, ecn, v6):
    data = bytes((i * 7) & 0xff for i in range(payload))
    flags = 0x18 | (0x80 if ecn else 0)        # PSH ACK [CWR]
    tcp = bytearray(struct.pack("!HHIIBBHHH", 5000, 5001, 1, 1, 5 << 4,
                                flags, 65535, 0, 0))
    if v6:
        src = socket.inet_pton(socket.AF_INET6, "fd00:cb::1")
        dst = socket.inet_pton(socket.AF_INET6, "fd00:cb::2")
        ip = struct.pack("!IHBB16s16s", 6 << 28 | 0x02 << 20,
                         len(tcp) + payload, socket.IPPROTO_TCP, 64, src, dst)
        pseudo = struct.pack("!16s16sIxxxB", src, dst, len(tcp) + payload,
                             socket.IPPROTO_TCP)
        ethertype = ETH_P_IPV6
    else:
        src = socket.inet_aton("10.203.0.1")
        dst = socket.inet_aton("10.203.0.2")
        ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0x02,
                                   20 + len(tcp) + payload, 1, 0x4000, 64,
                                   socket.IPPROTO_TCP, 0, src, dst))
        struct.pack_into("!H", ip, 10, ip_checksum(bytes(ip)))
        pseudo = struct.pack("!4s4sBBH", src, dst, 0, socket.IPPROTO_TCP,
                             len(tcp) + payload)
        ethertype = ETH_P_IP
    # The pseudo-header sum in the checksum field: the rest is offloaded.
    struct.pack_into("!H", tcp, 16, ~ip_checksum(pseudo) & 0xffff)
    eth = dst_mac + src_mac + struct.pack("!H", ethertype)
    return eth + bytes(ip) + bytes(tcp) + data, ethertype, len(ip)


def send(iface, dst, payload, ecn, v6):
    proto = ETH_P_IPV6 if v6 else ETH_P_IP
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((iface, proto))
    src = s.getsockname()[4]
    frame, _, iplen = segment(src, bytes.fromhex(dst.replace(":", "")),
                              payload, ecn, v6)
    gso = (GSO_TCPV6 if v6 else GSO_TCPV4) | (GSO_ECN if ecn else 0)
    hdr = HDR.pack(NEEDS_CSUM, gso, 14 + iplen + 20, 1000, 14 + iplen, 16)
    s.send(hdr + frame)


def intact(data):
    if len(data) < 4:
        return False
    seq = int.from_bytes(data[:4], "big")
    return all(b == (seq + i) & 0xff for i, b in enumerate(data[4:], start=4))


def recv(iface, ready, seconds):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((iface, ETH_P_ALL))
    open(ready, "w").close()
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            pkt, addr = s.recvfrom(1 << 17)
        except socket.timeout:
            break
        if addr[2] == socket.PACKET_OUTGOING or len(pkt) < HDR.size + 54:
            continue
        frame = pkt[HDR.size:]
        if (frame[12:14] != b"\x08\x00" or frame[23] != socket.IPPROTO_TCP
                or frame[26:30] != socket.inet_aton("10.203.0.2")):
            continue
        ihl = (frame[14] & 0xf) * 4
        doff = (frame[14 + ihl + 12] >> 4) * 4
        fields = HDR.unpack(pkt[:HDR.size])
        print("flags %d gso_type %d hdr_len %d gso_size %d csum_start %d "
              "csum_offset %d len %d intact %d" %
              (fields + (len(frame), intact(frame[14 + ihl + doff:]))),
              flush=True)
    try:
        os.unlink(ready)
    except FileNotFoundError:
        pass


def main():
    if sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3], int(sys.argv[4]),
             "ecn" in sys.argv[5:], "v6" in sys.argv[5:])
    else:
        recv(sys.argv[2], sys.argv[3], float(sys.argv[4]))


if __name__ == "__main__":
    main()
