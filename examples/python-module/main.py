"""An example blvm module in Python (standard library only): it subscribes to NewBlock and, for
every block, fetches the block with get_block and prints one line about it to its output log.

Its arguments come from its manifest (`args`): --label NAME sets the word its lines start with;
each --get HOST:PORT makes it fetch http://HOST:PORT/ once at start over a connection the node opens
for it (net_connect, allowed only by a [modules.NAME.network] connect rule of the operator's policy,
and the capability network_connect) and print the answer's status line and body.
"""
import argparse
import os

from blvm_client import Connection, NodeError


def http_get(node, label, target):
    """GET / from target over a brokered connection; prints the answer or the node's refusal."""
    host, _, port = target.rpartition(":")
    try:
        conn, result = node.connect(host, int(port))
    except NodeError as e:
        print("%s: get %s refused: %s: %s" % (label, target, e.code, e.message))
        return
    with conn:
        conn.settimeout(10)
        conn.sendall(("GET / HTTP/1.0\r\nHost: %s\r\n\r\n" % host).encode("ascii"))
        answer = bytearray()
        while len(answer) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    text = answer.decode("latin-1")
    status, _, rest = text.partition("\r\n")
    body = rest.partition("\r\n\r\n")[2]
    print("%s: get %s via %s (rule %s): %s: %s"
          % (label, target, result["address"], result["rule"], status, body))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="python-module")
    parser.add_argument("--get", action="append", default=[], metavar="HOST:PORT")
    args = parser.parse_args()

    node = Connection()
    print("%s: welcome as %s, capabilities %s"
          % (args.label, node.context["module_id"], ",".join(node.context["capabilities"])))
    print("%s: running from %s" % (args.label, os.path.dirname(os.path.abspath(__file__))))
    node.request("subscribe_events", {"events": ["NewBlock"]})
    node.request("ready")
    node.log("info", "subscribed to NewBlock")
    for target in args.get:
        http_get(node, args.label, target)

    while True:
        m = node.next_message()
        if m["kind"] == "event" and m["type"] == "NewBlock":
            block = node.request("get_block", {"hash": m["payload"]["hash"]})
            header = block["header"]
            print("%s: block %d %s txids %d size %d"
                  % (args.label, header["height"], header["hash"], len(block["txids"]),
                     block["size"]))
        elif m["kind"] == "invoke" and m["method"] == "stop":
            node.respond(m["id"], {})
            node.close()
            return
        elif m["kind"] == "invoke":
            node.send({"kind": "response", "id": m["id"],
                       "error": {"code": "UNKNOWN_METHOD", "message": "no method " + m["method"]}})


main()
