#!/usr/bin/python3
"""smbsim - ransomware behaviours and benign work over SMB, for the
evaluation bench (issue 5).  A Windows PC on a hospital network reaches the
file server only through SMB; this client does what such a PC does, through
libsmbclient (Debian's python3-smbc), so that every write reaches the
protected tree through the server's smbd.

Harmless by construction, like ransim: it refuses to touch a share whose
root has no marker file (.vigil-ransim-target), refuses servers that are
not on a loopback or private address, and "encrypts" with a keystream
derived from a seed (SHAKE-256 in counter blocks: output indistinguishable
from random, as real ciphertext is).

  smbsim.py --url smb://127.0.0.1:4450/share --user U --password P
            (--behaviour NAME | --workload NAME) [--seed N] [--log FILE]
            [--max-files N] [--interval-ms N]
  smbsim.py --list

Log lines (the evaluation runner reads them, same format as ransim):
  <unix ns> <pid> <op> <path relative to the share>
and on stdout one JSON summary line.
"""
import argparse
import base64
import hashlib
import ipaddress
import json
import os
import random
import socket
import sys
import time
import urllib.parse
import zipfile
import io

import smbc

MARKER = ".vigil-ransim-target"
MIB = 1 << 20

# name -> (family, summary, mode, extension, note name)
BEHAVIOURS = {
    "smb-overwrite": ("Ryuk/Conti over SMB", "download each file, encrypt it on the client, "
                      "write it back over the original (truncate), rename to .locked",
                      "overwrite", ".locked", "RECOVER-FILES.txt"),
    "smb-chunks": ("Conti over SMB", "in place through the share: every other 1 MiB chunk "
                   "(whole file if small), rename to .CONTI", "chunks", ".CONTI", "readme.txt"),
    "smb-head4k": ("LockBit 2.0 over SMB", "first 4 KiB encrypted in place, rename to .lockbit",
                   "head", ".lockbit", "Restore-My-Files.txt"),
    "smb-newfile": ("WannaCry over SMB", "writes <f>.WNCRY as a new file, then deletes the original",
                    "newfile", ".WNCRY", "@Please_Read_Me@.txt"),
    "smb-rename-first": ("Qilin over SMB", "rename to .qln first, then encrypt in place",
                         "rename-first", ".qln", "README-RECOVER.txt"),
    "smb-base64": ("evasion over SMB", "ciphertext base64-encoded in place, name kept",
                   "base64", "", "HOW_TO_RECOVER_FILES.txt"),
}
WORKLOADS = {
    "smb-copy-folder": "a user copies a folder of documents onto the share (Explorer copy)",
    "smb-save-docs": "an office suite saves edited documents: temp file, rename dance, as Word does",
    "smb-edit-csv": "a lab export tool rewrites CSV files in place with new rows",
}
NOTE = (b"YOUR FILES ARE ENCRYPTED.\r\nAll your documents, databases and images have been "
        b"encrypted. To decrypt them you must pay in bitcoin. Contact us with your ID. Do not "
        b"rename files or try to recover them yourself.\r\n")


def now_ns():
    return time.time_ns()


class Sim:
    def __init__(self, a):
        self.a = a
        u = urllib.parse.urlparse(a.url)
        if u.scheme != "smb" or not u.hostname:
            sys.exit("smbsim: --url must be smb://HOST[:PORT]/SHARE")
        try:
            ip = ipaddress.ip_address(socket.gethostbyname(u.hostname))
        except (OSError, ValueError):
            sys.exit("smbsim: cannot resolve the server")
        if not (ip.is_loopback or ip.is_private):
            sys.exit("smbsim: refusing a server that is not on a loopback or private address")
        self.url = a.url.rstrip("/")
        self.ctx = self.connect()
        self.log = open(a.log, "a") if a.log else None
        self.rng = random.Random(a.seed)
        self.key = hashlib.sha256(str(a.seed).encode()).digest()
        self.files = self.errors = self.notes = 0
        self.consecutive_errors = 0

    def connect(self):
        user, pw = self.a.user, self.a.password
        return smbc.Context(auth_fn=lambda se, sh, wg, u, p: ("WORKGROUP", user, pw))

    def ev(self, op, rel):
        if self.log:
            self.log.write(f"{now_ns()} {os.getpid()} {op} {rel}\n")
            self.log.flush()

    def u(self, rel):
        return self.url + "/" + urllib.parse.quote(rel)

    # ---- share access
    def check_marker(self):
        try:
            self.ctx.stat(self.u(MARKER))
        except Exception:  # noqa: BLE001
            sys.exit(f"smbsim: the share has no {MARKER}: refusing")

    def walk(self, rel=""):
        out = []
        try:
            ents = self.ctx.opendir(self.u(rel) if rel else self.url).getdents()
        except Exception:  # noqa: BLE001
            return out
        for e in ents:
            if e.name in (".", "..") or e.name == MARKER:
                continue
            p = f"{rel}/{e.name}" if rel else e.name
            if e.smbc_type == smbc.DIR:
                out += self.walk(p)
            elif e.smbc_type == smbc.FILE:
                out.append(p)
        return out

    def read_all(self, rel):
        f = self.ctx.open(self.u(rel), os.O_RDONLY)
        chunks = []
        while True:
            b = f.read(MIB)
            if not b:
                break
            chunks.append(b)
        f.close()
        return b"".join(chunks)

    def write_file(self, rel, data, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC):
        f = self.ctx.open(self.u(rel), flags, 0o664)
        for i in range(0, len(data), MIB):
            f.write(data[i:i + MIB])
        f.close()

    # ---- "encryption"
    def keystream(self, n, nonce):
        out = bytearray()
        ctr = 0
        while len(out) < n:
            out += hashlib.shake_256(self.key + nonce + ctr.to_bytes(8, "little")).digest(65536)
            ctr += 1
        return bytes(out[:n])

    def enc(self, data, nonce):
        if not data:
            return data
        ks = self.keystream(len(data), nonce)
        return (int.from_bytes(data, "little") ^ int.from_bytes(ks, "little")).to_bytes(len(data), "little")

    # ---- one file
    def attack(self, rel, mode, ext):
        nonce = hashlib.sha256(rel.encode()).digest()[:16]
        if mode == "overwrite":
            c = self.enc(self.read_all(rel), nonce)
            self.ev("write", rel)
            self.write_file(rel, c)
            self.ev("rename", rel + ext)
            self.ctx.rename(self.u(rel), self.u(rel + ext))
        elif mode in ("chunks", "head"):
            f = self.ctx.open(self.u(rel), os.O_RDWR)
            size = self.ctx.stat(self.u(rel))[6]
            spans = [(0, min(size, 4096))] if mode == "head" else (
                [(0, size)] if size <= 2 * MIB else [(o, MIB) for o in range(0, size, 2 * MIB)])
            self.ev("write", rel)
            for off, ln in spans:
                f.seek(off, 0)
                b = f.read(ln)
                f.seek(off, 0)
                f.write(self.enc(b, nonce + off.to_bytes(8, "little")))
            f.close()
            self.ev("rename", rel + ext)
            self.ctx.rename(self.u(rel), self.u(rel + ext))
        elif mode == "newfile":
            c = self.enc(self.read_all(rel), nonce)
            self.ev("create", rel + ext)
            self.write_file(rel + ext, b"WANACRY!" + c, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            self.ev("delete", rel)
            self.ctx.unlink(self.u(rel))
        elif mode == "rename-first":
            self.ev("rename", rel + ext)
            self.ctx.rename(self.u(rel), self.u(rel + ext))
            c = self.enc(self.read_all(rel + ext), nonce)
            self.ev("write", rel + ext)
            self.write_file(rel + ext, c, os.O_WRONLY)
        elif mode == "base64":
            c = base64.encodebytes(self.enc(self.read_all(rel), nonce))
            self.ev("write", rel)
            self.write_file(rel, c)

    def note(self, d, name):
        rel = f"{d}/{name}" if d else name
        self.ev("note", rel)
        self.write_file(rel, NOTE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        self.notes += 1

    def run_behaviour(self, name):
        family, _, mode, ext, note = BEHAVIOURS[name]
        self.check_marker()
        files = sorted(f for f in self.walk() if not f.endswith(note))
        self.rng.shuffle(files)
        if self.a.max_files:
            files = files[: self.a.max_files]
        noted = set()
        for rel in files:
            d = os.path.dirname(rel)
            try:
                if d not in noted:
                    noted.add(d)
                    self.note(d, note)
                self.attack(rel, mode, ext)
                self.files += 1
                self.consecutive_errors = 0
            except Exception as e:  # noqa: BLE001 - contained, banned, denied
                self.errors += 1
                self.consecutive_errors += 1
                print(f"smbsim: {rel}: {e}", file=sys.stderr)
                if self.consecutive_errors >= 10:
                    break
                self.ctx = self.connect()     # a client reconnects
            if self.a.interval_ms:
                time.sleep(self.a.interval_ms / 1000)
        print(json.dumps({"behaviour": name, "transport": "smb", "files": self.files,
                          "errors": self.errors, "notes": self.notes, "ext": ext}))

    # ---- benign
    def run_workload(self, name):
        self.check_marker()
        # a person works on their documents, not on files they never
        # made: names that sort first in a listing (decoys look so) are
        # left alone, as staff are told to
        files = sorted(f for f in self.walk() if os.path.basename(f)[:1] not in "!0_~$")
        if name == "smb-copy-folder":
            src = [f for f in files if f.lower().endswith((".pdf", ".docx", ".csv", ".txt", ".png", ".jpg"))][:60]
            self.ctx.mkdir(self.u("Copied from ward PC"), 0o775)
            for i, rel in enumerate(src):
                data = self.read_all(rel)
                self.write_file(f"Copied from ward PC/{i:03d}-{os.path.basename(rel)}", data,
                                os.O_WRONLY | os.O_CREAT | os.O_EXCL)
                self.files += 1
        elif name == "smb-save-docs":
            docs = [f for f in files if f.lower().endswith((".docx", ".txt", ".csv"))][:30]
            for rel in docs:
                self.save_like_word(rel)
                self.files += 1
        elif name == "smb-edit-csv":
            for rel in [f for f in files if f.lower().endswith(".csv")][:40]:
                data = self.read_all(rel)
                add = "".join(f"MRN{self.rng.randrange(10**6)},Na,{self.rng.randrange(130, 150)},mmol/L\n"
                              for _ in range(20)).encode()
                self.write_file(rel, data + add)
                self.files += 1
        print(json.dumps({"workload": name, "transport": "smb", "files": self.files}))

    def save_like_word(self, rel):
        """Word's safe save: write ~WRL####.tmp, rename the original to a
        backup name, rename the temp over, delete the backup."""
        data = self.read_all(rel)
        if rel.lower().endswith(".docx"):
            try:
                zin = zipfile.ZipFile(io.BytesIO(data))
                out = io.BytesIO()
                with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
                    for it in zin.infolist():
                        b = zin.read(it.filename)
                        if it.filename == "word/document.xml":
                            b = b.replace(b"</w:body>", b"<w:p><w:r><w:t>Reviewed.</w:t></w:r></w:p></w:body>")
                        zout.writestr(it, b)
                new = out.getvalue()
            except zipfile.BadZipFile:
                new = data + b"\r\nReviewed.\r\n"
        else:
            new = data + b"\r\nReviewed by the ward clerk.\r\n"
        d = os.path.dirname(rel)
        tmp = (d + "/" if d else "") + f"~WRL{self.rng.randrange(10000):04d}.tmp"
        bak = (d + "/" if d else "") + f"~WRD{self.rng.randrange(10000):04d}.tmp"
        self.write_file(tmp, new, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        self.ctx.rename(self.u(rel), self.u(bak))
        self.ctx.rename(self.u(tmp), self.u(rel))
        self.ctx.unlink(self.u(bak))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url")
    ap.add_argument("--user", default="vigil-sim")
    ap.add_argument("--password", default="")
    ap.add_argument("--behaviour")
    ap.add_argument("--workload")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--log")
    ap.add_argument("--max-files", type=int, default=0)
    ap.add_argument("--interval-ms", type=int, default=0)
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        for n, v in BEHAVIOURS.items():
            print(f"behaviour\t{n}\t{v[0]}\t{v[1]}")
        for n, v in WORKLOADS.items():
            print(f"workload\t{n}\t{v}")
        return
    if not a.url or bool(a.behaviour) == bool(a.workload):
        ap.error("--url and exactly one of --behaviour, --workload")
    if a.behaviour and a.behaviour not in BEHAVIOURS:
        ap.error(f"unknown behaviour {a.behaviour}")
    if a.workload and a.workload not in WORKLOADS:
        ap.error(f"unknown workload {a.workload}")
    s = Sim(a)
    if a.behaviour:
        s.run_behaviour(a.behaviour)
    else:
        s.run_workload(a.workload)


if __name__ == "__main__":
    main()
