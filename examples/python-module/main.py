"""An example blvm module in Python (standard library only): it subscribes to NewBlock and, for
every block, fetches the block with get_block and prints one line about it to its output log.

Its arguments come from its manifest (`args`): --label NAME sets the word its lines start with.
"""
import argparse
import os

from blvm_client import Connection


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="python-module")
    args = parser.parse_args()

    node = Connection()
    print("%s: welcome as %s, capabilities %s"
          % (args.label, node.context["module_id"], ",".join(node.context["capabilities"])))
    print("%s: running from %s" % (args.label, os.path.dirname(os.path.abspath(__file__))))
    node.request("subscribe_events", {"events": ["NewBlock"]})
    node.request("ready")
    node.log("info", "subscribed to NewBlock")

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
