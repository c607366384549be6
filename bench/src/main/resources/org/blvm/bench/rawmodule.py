#!/usr/bin/python3
# A minimal native module for the benchmarks: speaks the blvm protocol by hand (docs/protocol.md),
# with no SDK and no JVM, so that dozens of them are cheap. MODE is set when the bench installs it:
#   idle  - hello, ready, then read and discard everything until stop or EOF
#   stall - hello, subscribe to NewBlock and MempoolTransactionAdded, ready, then never read again
import os
import signal
import socket
import struct
import sys

MODE = "idle"


def text(s):
    b = s.encode()
    if len(b) < 24:
        return bytes([0x60 | len(b)]) + b
    if len(b) < 256:
        return bytes([0x78, len(b)]) + b
    return bytes([0x79]) + struct.pack(">H", len(b)) + b


def uint(n):
    return bytes([n]) if n < 24 else bytes([0x18, n])


def cbor_map(pairs):
    return bytes([0xA0 | len(pairs)]) + b"".join(text(k) + v for k, v in pairs)


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            sys.exit(0)
        buf += chunk
    return buf


def read_frame(s):
    (n,) = struct.unpack(">I", read_exact(s, 4))
    return read_exact(s, n)


def request(s, rid, method, params):
    s.sendall(frame(cbor_map([("kind", text("request")), ("id", uint(rid)),
                              ("method", text(method)), ("params", params)])))
    while True:  # skip events until the response
        f = read_frame(s)
        if text("close") in f:
            sys.exit(3)
        if text("response") in f:
            if text("error") in f:
                sys.exit(4)
            return


def main():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.environ["BLVM_SOCKET"])
    hello = cbor_map([("kind", text("hello")), ("versions", bytes([0x81, 0x01])),
                      ("token", text(os.environ["BLVM_TOKEN"]))])
    s.sendall(frame(hello))
    if text("welcome") not in read_frame(s):
        sys.exit(2)
    if MODE == "stall":
        events = bytes([0x82]) + text("NewBlock") + text("MempoolTransactionAdded")
        request(s, 1, "subscribe_events", cbor_map([("events", events)]))
    request(s, 2, "ready", bytes([0xF6]))
    if MODE == "stall":
        while True:
            signal.pause()  # never reads again; SIGTERM/SIGKILL end it
    while True:
        f = read_frame(s)
        if text("invoke") in f or text("close") in f:
            return  # stop (or close): exit, the node sees the process end


main()
