"""A minimal client of the blvm module protocol (docs/protocol.md), standard library only.

Connection() connects to the node named by BLVM_SOCKET, says hello with BLVM_TOKEN and keeps the
welcome's context. request() sends a NodeAPI call and returns its result (raising NodeError for an
error response); events and invokes that arrive meanwhile are kept for next_message(). connect()
asks the node for a brokered TCP connection (net_connect) and returns the socket the node handed
over with the response (docs/protocol.md section 2.5). The module runs single-threaded: it reads
only while it waits for a response or for its next message.
"""
import os
import stat
import socket
import struct
import sys

MAX_FRAME = 16 * 1024 * 1024
MAX_DEPTH = 32


class NodeError(Exception):
    """An error response: code and message as the node sent them (docs/protocol.md section 5)."""

    def __init__(self, method, error):
        super().__init__("%s: %s: %s" % (method, error.get("code"), error.get("message")))
        self.code = error.get("code")
        self.message = error.get("message")
        self.capability = error.get("capability")


class ProtocolError(Exception):
    """The node sent something this client cannot read, or closed the connection."""


# ---- CBOR (RFC 8949): what the protocol uses, nothing more -------------------------------------

def _head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    for info, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
        if n < 1 << (8 * struct.calcsize(fmt)):
            return bytes([(major << 5) | info]) + struct.pack(fmt, n)
    raise ValueError("integer out of range: %d" % n)


def encode(value):
    """One CBOR item with definite lengths and shortest integers."""
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        b = value.encode("utf-8")
        return _head(3, len(b)) + b
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, dict):
        out = [_head(5, len(value))]
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError("map keys are text strings")
            out.append(encode(k))
            out.append(encode(v))
        return b"".join(out)
    raise ValueError("cannot encode %r" % type(value))


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise ProtocolError("truncated CBOR item")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def argument(self, info):
        if info < 24:
            return info
        if info in (24, 25, 26, 27):
            size = 1 << (info - 24)
            return int.from_bytes(self.take(size), "big")
        raise ProtocolError("unsupported CBOR additional information %d" % info)

    def item(self, depth=0):
        if depth > MAX_DEPTH:
            raise ProtocolError("CBOR nested too deep")
        ib = self.take(1)[0]
        major, info = ib >> 5, ib & 0x1F
        if major == 0:
            return self.argument(info)
        if major == 1:
            return -1 - self.argument(info)
        if major in (2, 3):
            if info == 31:  # indefinite length: definite chunks of the same major type, then a break
                chunks = []
                while self.data[self.pos:self.pos + 1] != b"\xff":
                    cb = self.take(1)[0]
                    if cb >> 5 != major or cb & 0x1F == 31:
                        raise ProtocolError("bad chunk in an indefinite-length string")
                    chunks.append(self.take(self.argument(cb & 0x1F)))
                self.take(1)
                raw = b"".join(chunks)
            else:
                raw = self.take(self.argument(info))
            return raw if major == 2 else raw.decode("utf-8")
        if major in (4, 5):
            indefinite = info == 31
            n = None if indefinite else self.argument(info)
            items = [] if major == 4 else {}
            i = 0
            while (self.data[self.pos:self.pos + 1] != b"\xff") if indefinite else i < n:
                if major == 4:
                    items.append(self.item(depth + 1))
                else:
                    k = self.item(depth + 1)
                    if not isinstance(k, str) or k in items:
                        raise ProtocolError("bad or repeated map key")
                    items[k] = self.item(depth + 1)
                i += 1
            if indefinite:
                self.take(1)
            return items
        if major == 7:
            if info == 20:
                return False
            if info == 21:
                return True
            if info == 22:
                return None
            if info == 25:
                return _half(int.from_bytes(self.take(2), "big"))
            if info == 26:
                return struct.unpack(">f", self.take(4))[0]
            if info == 27:
                return struct.unpack(">d", self.take(8))[0]
        raise ProtocolError("CBOR item 0x%02x is not accepted by the protocol" % ib)


def _half(h):
    sign = -1.0 if h & 0x8000 else 1.0
    exp, frac = (h >> 10) & 0x1F, h & 0x3FF
    if exp == 0:
        return sign * frac * 2.0 ** -24
    if exp == 31:
        return sign * float("inf") if frac == 0 else float("nan")
    return sign * (1 + frac / 1024.0) * 2.0 ** (exp - 15)


def decode(payload):
    r = _Reader(payload)
    value = r.item()
    if r.pos != len(payload) or not isinstance(value, dict):
        raise ProtocolError("a frame holds exactly one CBOR map")
    return value


def _close_all(fds):
    for fd in fds:
        os.close(fd)


# ---- the connection --------------------------------------------------------------------------

def _check_socket_dir(path):
    """docs/protocol.md section 1: the socket's directory is ours, a real directory, mode 0700."""
    st = os.lstat(os.path.dirname(path))
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or stat.S_IMODE(st.st_mode) != 0o700:
        sys.exit("refusing to connect: the directory of %s is not a private directory of ours" % path)


class Connection:
    def __init__(self):
        path = os.environ["BLVM_SOCKET"]
        _check_socket_dir(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.next_id = 1
        self.pending = []  # events and invokes read while waiting for a response
        self.send({"kind": "hello", "versions": [1], "token": os.environ["BLVM_TOKEN"]})
        welcome = self.read()
        if welcome.get("kind") != "welcome":
            raise ProtocolError("no welcome: %r" % welcome)
        self.context = welcome["context"]

    def send(self, message):
        payload = encode(message)
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)

    def _read_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ProtocolError("the node closed the connection")
            buf += chunk
        return bytes(buf)

    def _read_frame(self):
        """One frame: (message, descriptors). docs/protocol.md section 2.5: the descriptors of a
        frame come with the read that returns its first byte; this client never reads past the
        end of a frame, so that read is the first read of the frame's length prefix."""
        head, fds, _flags, _addr = socket.recv_fds(self.sock, 4, 1)
        try:
            if not head:
                raise ProtocolError("the node closed the connection")
            while len(head) < 4:
                more, extra, _, _ = socket.recv_fds(self.sock, 4 - len(head), 1)
                _close_all(extra)  # never expected past a frame's first byte
                if not more:
                    raise ProtocolError("the node closed the connection")
                head += more
            (n,) = struct.unpack(">I", head)
            if n == 0 or n > MAX_FRAME:
                raise ProtocolError("bad frame length %d" % n)
            message = decode(self._read_exact(n))
        except BaseException:
            _close_all(fds)
            raise
        if message.get("kind") == "close":
            _close_all(fds)
            raise ProtocolError("closed by the node: %s %s" % (message.get("code"), message.get("message")))
        return message, fds

    def read(self):
        """The next message; a descriptor that came with it is unexpected and closed at once."""
        message, fds = self._read_frame()
        _close_all(fds)
        return message

    def _call(self, method, params):
        """Sends a request; returns (result, descriptors of its response) or raises NodeError."""
        rid = self.next_id
        self.next_id += 1
        self.send({"kind": "request", "id": rid, "method": method, "params": params})
        while True:
            m, fds = self._read_frame()
            if m.get("kind") == "response" and m.get("id") == rid:
                if "error" in m and m["error"] is not None:
                    _close_all(fds)
                    raise NodeError(method, m["error"])
                return m.get("result"), fds
            _close_all(fds)
            self.pending.append(m)

    def request(self, method, params=None):
        """Calls NodeAPI `method`; returns its result or raises NodeError."""
        result, fds = self._call(method, params)
        _close_all(fds)
        return result

    def connect(self, host, port):
        """net_connect: returns (a connected TCP socket.socket, the result {address, port, rule})
        or raises NodeError (NOT_CAPABLE when no rule of the operator allows host:port)."""
        result, fds = self._call("net_connect", {"host": host, "port": port})
        if len(fds) != 1:
            _close_all(fds)
            self.close("PROTOCOL_ERROR", "net_connect answered with %d descriptors" % len(fds))
            raise ProtocolError("net_connect answered with %d descriptors, not one" % len(fds))
        return socket.socket(fileno=fds[0]), result

    def next_message(self):
        """The next event or invoke, in the order the node sent them."""
        return self.pending.pop(0) if self.pending else self.read()

    def respond(self, invoke_id, result):
        self.send({"kind": "response", "id": invoke_id, "result": result})

    def log(self, level, message):
        self.send({"kind": "log", "level": level, "message": message})

    def close(self, code="SHUTDOWN", message="stopping"):
        self.send({"kind": "close", "code": code, "message": message})
        self.sock.close()
