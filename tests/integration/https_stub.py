#!/usr/bin/python3
"""https_stub.py CERT KEY PORT OUTDIR - the test suite's own HTTPS peer:
an incident webhook and a minimal TAXII 2.1 server (one API root, one
collection), enough to check what vigil sends.

  POST /hook                          webhook; the first call answers 503
                                      (vigil must retry), later ones 200;
                                      bodies go to OUTDIR/webhook.jsonl
  POST /api1/collections/COLL/objects/  TAXII Add Objects: checks the media
                                      type, basic auth (isac:s3cret) and the
                                      envelope; answers 202 with a pending
                                      status; objects go to OUTDIR/taxii.json
  GET  /api1/status/SID/              pending the first time, then complete
"""
import base64
import json
import os
import ssl
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CERT, KEY, PORT, OUT = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
TAXII = "application/taxii+json;version=2.1"
COLL = "9c6e1e6e-3c0a-4d4a-9d6c-0c4a3c8b5a11"
state = {"hook_calls": 0, "status": {}}


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj, ctype=TAXII):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def taxii_ok(self):
        auth = self.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(b"isac:s3cret").decode():
            self.reply(401, {"title": "unauthorized"})
            return False
        if self.headers.get("Accept") != TAXII:
            self.reply(406, {"title": "bad Accept: " + str(self.headers.get("Accept"))})
            return False
        return True

    def do_POST(self):
        if self.path == "/hook":
            b = self.body()
            state["hook_calls"] += 1
            with open(os.path.join(OUT, "webhook-calls"), "a") as f:
                f.write(f"{state['hook_calls']}\n")
            if state["hook_calls"] == 1:
                self.reply(503, {"error": "try later"}, "application/json")
                return
            json.loads(b)
            with open(os.path.join(OUT, "webhook.jsonl"), "ab") as f:
                f.write(b + b"\n")
            self.reply(200, {"ok": True}, "application/json")
            return
        if self.path == f"/api1/collections/{COLL}/objects/":
            if not self.taxii_ok():
                return
            if self.headers.get("Content-Type") != TAXII:
                self.reply(415, {"title": "bad Content-Type"})
                return
            env = json.loads(self.body())
            objs = env.get("objects")
            if not isinstance(objs, list) or not objs:
                self.reply(422, {"title": "no objects"})
                return
            with open(os.path.join(OUT, "taxii.json"), "w") as f:
                json.dump(env, f)
            sid = str(uuid.uuid4())
            state["status"][sid] = len(objs)
            self.reply(202, {"id": sid, "status": "pending", "total_count": len(objs),
                             "success_count": 0, "failure_count": 0, "pending_count": len(objs)})
            return
        self.reply(404, {"title": "no such resource"})

    def do_GET(self):
        p = self.path.strip("/").split("/")
        if len(p) == 3 and p[0] == "api1" and p[1] == "status" and p[2] in state["status"]:
            if not self.taxii_ok():
                return
            n = state["status"][p[2]]
            done = os.path.exists(os.path.join(OUT, "polled-" + p[2]))
            open(os.path.join(OUT, "polled-" + p[2]), "a").close()
            self.reply(200, {"id": p[2], "status": "complete" if done else "pending",
                             "total_count": n, "success_count": n if done else 0,
                             "failure_count": 0, "pending_count": 0 if done else n})
            return
        self.reply(404, {"title": "no such resource"})


srv = ThreadingHTTPServer(("127.0.0.1", PORT), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
