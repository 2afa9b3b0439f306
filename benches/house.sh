#!/usr/bin/env bash
# The shape of the house, from the source alone: lines of Rust in src/, rooms
# (top-level modules) and files, the arrows between rooms (`crate::ROOM` used
# in another room), circles among them (rooms that reach each other), and
# arrows that run back up (a core room using a front end).
#
#   bash benches/house.sh [DIR]     # DIR: a checkout (default: this one)
set -euo pipefail
dir="${1:-$(dirname "$0")/..}"
python3 - "$dir" <<'EOF'
import os, re, sys
from collections import defaultdict

src = os.path.join(sys.argv[1], "src")
# `demo` composes a front end of its own (its server and the interface), and
# its server stands on serve's hardened HTTP parsing.
front_ends = {"cli", "tui", "serve", "demo", "main"}
room_of = lambda rel: rel.split(os.sep)[0].removesuffix(".rs")

lines = files = 0
arrows = defaultdict(set)
rooms = set()
for root, _, names in os.walk(src):
    for name in names:
        if not name.endswith(".rs"):
            continue
        path = os.path.join(root, name)
        rel = os.path.relpath(path, src)
        room = room_of(rel)
        if room in {"lib"}:
            continue
        rooms.add(room)
        files += 1
        text = open(path, encoding="utf-8").read()
        # Unit tests may reach anywhere: only the product's arrows count.
        text = re.split(r"\n#\[cfg\(test\)\]\nmod tests", text)[0]
        lines += text.count("\n")
        text = re.sub(r"//.*", "", text)  # comments name modules without using them
        for used in re.findall(r"crate::([a-z_]+)", text):
            if used != room:
                arrows[room].add(used)

# Circles: strongly connected groups of more than one node (Tarjan).
def circles_of(nodes, arrows):
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in arrows.get(v, ()):
            if w not in nodes:
                continue
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop(); on.discard(w); group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found
sys.setrecursionlimit(10000)
circles = circles_of(rooms, arrows)

# Circles between files (modules) within the rooms: `crate::a::b` and
# `super::x` resolved to the longest module they name.
modules = {}
for root, _, names in os.walk(src):
    for name in names:
        if name.endswith(".rs"):
            rel = os.path.relpath(os.path.join(root, name), src)[:-3].split(os.sep)
            if rel[-1] == "mod":
                rel = rel[:-1]
            if rel not in (["lib"], ["main"]):
                modules["::".join(rel)] = os.path.join(root, name)
def resolve(parts):
    for n in range(len(parts), 0, -1):
        m = "::".join(parts[:n])
        if m in modules:
            return m
file_arrows = defaultdict(set)
for m, path in modules.items():
    text = re.split(r"\n#\[cfg\(test\)\]\nmod tests", open(path, encoding="utf-8").read())[0]
    text = re.sub(r"//.*", "", text)
    here = m.split("::")
    for head, tail in re.findall(r"(crate|super)::((?:[a-z_]+::)*(?:[a-z_]+|\{[^}]*\}))", text):
        base = [] if head == "crate" else here[:-1]
        segs = tail.split("::")
        last = segs[-1]
        heads = [s.strip().split("::")[0] for s in last.strip("{}").split(",")] if last.startswith("{") else [last]
        for h in heads:
            target = resolve(base + segs[:-1] + [h]) if h else None
            if target and target != m and not m.startswith(target + "::") :
                file_arrows[m].add(target)
file_circles = circles_of(set(modules), file_arrows)

back_up = sorted(f"{a} -> {b}" for a in rooms - front_ends for b in arrows.get(a, ()) if b in front_ends)
print(f"lines of Rust in src/ (without unit tests): {lines}")
print(f"rooms (top-level modules): {len(rooms)}; files: {files}")
print(f"circles: {len(circles)} {circles if circles else ''}")
print(f"circles between files: {len(file_circles)} {file_circles if file_circles else ''}")
print(f"arrows back up (core -> front end): {len(back_up)} {back_up if back_up else ''}")
EOF
