#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Receives the datagrams pvlens_net_sim injects and checks every byte.

  sim_udp_rx.py ADDR PORT READY   creates READY once bound, then prints
                                  "<intact> <corrupt>" after 60 s of silence
                                  (or when the file READY.stop appears)

The device writes a big-endian sequence number, then bytes counting up from
it (drivers/net/sim.c, pvnet_sim_build()).
"""
import os
import socket
import sys


def intact(data):
    if len(data) < 4:
        return False
    seq = int.from_bytes(data[:4], "big")
    return all(b == (seq + i) & 0xff for i, b in enumerate(data[4:], start=4))


def main():
    addr, port, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((addr, port))
    s.settimeout(0.5)
    open(ready, "w").close()
    good = bad = idle = 0
    while idle < 120 and not os.path.exists(ready + ".stop"):
        try:
            data = s.recv(65535)
        except socket.timeout:
            idle += 1
            continue
        idle = 0
        if intact(data):
            good += 1
        else:
            bad += 1
    print(good, bad)


if __name__ == "__main__":
    main()
