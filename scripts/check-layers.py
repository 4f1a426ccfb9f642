#!/usr/bin/python3
"""Fails when a file of src/ includes a header of a layer its own layer does not link.

The layers and what each links come from CMakeLists.txt's gpunb_layer()/gpunb_agent_layer()
lines, so the linker's one-way order and the includes cannot drift apart: `src/data` can never
include `src/agent`, `base/` nothing but itself. Prints FILE:LINE for each include that points
the wrong way; exit 1 when there is one."""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
cmake = (ROOT / "CMakeLists.txt").read_text()
links = {}  # layer -> the gpunb layers it links directly ("data/net", "agent/host", ...)
for name, deps in re.findall(r"^gpunb_(?:agent_)?layer\(([\w/]+)((?: [^)\n]+)?)\)", cmake, re.M):
    links[name] = [d[len("gpunb_"):].replace("_", "/", 1) for d in deps.split()
                   if d.startswith("gpunb_")]

def layer_of(rel):  # "agent/fs/list.cpp" -> "agent/fs"; "app/up.cpp" -> "app"
    for name in sorted(links, key=len, reverse=True):
        if rel == name or rel.startswith(name + "/"):
            return name
    return None

def reachable(name, seen=None):
    seen = set() if seen is None else seen
    for dep in links.get(name, []):
        if dep in links and dep not in seen:
            seen.add(dep)
            reachable(dep, seen)
    return seen

bad = 0
for path in sorted((ROOT / "src").rglob("*.[ch]pp")):
    rel = path.relative_to(ROOT / "src").as_posix()
    own = layer_of(rel)
    if own is None:
        continue  # main.cpp, agent_main.cpp: the executables see every layer they link
    allowed = reachable(own) | {own}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = re.match(r'#include "([^"]+)"', line)
        if not m:
            continue
        target = layer_of(m.group(1))
        if target is not None and target not in allowed:
            print(f"src/{rel}:{number}: {own}/ includes {m.group(1)}, but {own} does not link {target}")
            bad += 1
if bad:
    print(f"check-layers: {bad} include(s) against the layer order in CMakeLists.txt")
    sys.exit(1)
print(f"check-layers: {len(links)} layers, every include points down")
