#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (fuzz/corpus/<target>/): valid control frames and /proc files,
so the fuzzers start from inputs that reach deep code. Run from native/: python3 fuzz/make-corpus.py"""
import os, struct

MAGIC, SCHEMA = 0x31534847, 4
A = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
B = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

def frame(op, body): return struct.pack("<IIHHI", MAGIC, 16 + len(body), SCHEMA, op, 0) + body
def watch(op, cid, pid): return frame(op, cid.encode().ljust(64, b"\0") + struct.pack("<II", pid, 0))
def prefixes(op, items, n=8): return frame(op, struct.pack("<II", len(items), 0) + b"".join(p.encode().ljust(64, b"\0") for p in items).ljust(64 * n, b"\0"))
def seg(tag, b): return bytes([tag]) + struct.pack("<H", len(b)) + b
def cgroup(event, cgid, cid, path):
    return frame(7, struct.pack("<QQ", 1, cgid) + cid.encode().ljust(64, b"\0") + struct.pack("<IHH", event, len(path), 0) + path.encode())

def write(target, name, data):
    d = os.path.join("fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(data)

ctl = [watch(64, A, 100), watch(64, B, 200), watch(64, A, 300), watch(64, A, 1), watch(64, B, 0), watch(65, A, 100),
       frame(66, struct.pack("<Q", 0xff)), prefixes(67, ["/etc/", "/root/.ssh"]), frame(68, struct.pack("<II", 1, 0)),
       prefixes(69, ["/docker/", "/system.slice/docker-"], 4)]
for flags in (1, 0, 3):
    write("fuzz_ctl", f"all-{flags}", bytes([flags]) + seg(0, b"".join(ctl)))
    write("fuzz_ctl", f"split-{flags}", bytes([flags]) + b"".join(seg(0, c[:7]) + seg(2, c[7:]) for c in ctl))
write("fuzz_ctl", "admitted", bytes([1]) + seg(1, cgroup(1, 77, A, "/docker/" + A)) + seg(0, watch(64, A, 100)) + seg(1, cgroup(2, 77, A, "")))

def parts(*ps): return b"".join(struct.pack("<H", len(p)) + p for p in ps)
write("fuzz_seed", "sh", parts(b"500 (sh) S 1 500 500 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 4242 1 1 1", b"Name:\tsh\nUid:\t0\t0\t0\t0\nGid:\t5\t5\t5\t5\n",
                              b"sh\0-c\0sleep 1\0", b"/bin/sh", b"/", b"0::/docker/" + A.encode() + b"\n"))
write("fuzz_seed", "odd-comm", parts(b"500 (a) b) (c) R 7 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99", b"", b"x" * 1100, b"/usr/bin/" + b"y" * 250, b"/w", b"1:name=systemd:/\n0::/\n"))
