#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""UDP integrity between the pvlens_net test namespaces.

  udp_check.py recv PORT COUNT READY
                                 creates READY once bound, prints
                                 "<intact> <corrupt>" after COUNT datagrams
                                 or 5 s of silence
  udp_check.py send HOST PORT    sends every size in SIZES, REPEAT times

Each datagram carries its sequence number, size and a payload derived from
both, so the receiver checks every byte without a side channel.
"""
import socket
import struct
import sys
import time

SIZES = [8, 17, 100, 512, 1000, 1464, 1472, 1473, 2000, 4000, 8972, 9000,
         16000, 32000, 65507]
REPEAT = 5


def payload(seq, size):
    head = struct.pack("!II", seq, size)
    body = bytes((seq * 31 + i * 7 + size) & 0xff for i in range(size - len(head)))
    return head + body


def recv(port, count, ready):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("0.0.0.0", port))
    open(ready, "w").close()
    s.settimeout(5)
    good = bad = 0
    while good + bad < count:
        try:
            data = s.recv(70000)
        except socket.timeout:
            break
        seq, size = struct.unpack("!II", data[:8])
        if len(data) == size and data == payload(seq, size):
            good += 1
        else:
            bad += 1
    print(good, bad)


def send(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    seq = 0
    for _ in range(REPEAT):
        for size in SIZES:
            s.sendto(payload(seq, size), (host, port))
            seq += 1
            time.sleep(0.002)


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "count":
        print(len(SIZES) * REPEAT)
    else:
        send(sys.argv[2], int(sys.argv[3]))
