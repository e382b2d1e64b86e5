#!/usr/bin/env python3
"""Checks that Reel's modules depend only downward, as docs/architecture.md says.

Reads two tables from docs/architecture.md (between `<!-- layers -->` and
`<!-- /layers -->`, and between `<!-- never-reach -->` and `<!-- /never-reach -->`),
the target graph from `swift package dump-package`, and every `import` line of
every Swift file of every target. Fails, naming file and line, when:
  - a module imports (or lists in Package.swift) a module of its own layer or above;
  - a production module imports ReelTesting;
  - a module reaches, through any chain of dependencies, one it must never link
    (the API and FFmpeg, the catalog and the HTTP client).

Usage: scripts/checks/layering.py [--selftest]
  --selftest  also proves the check can fail: it feeds one upward import and one
              forbidden dependency to the checker and expects both reported.
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
IMPORT = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)")


def table(text, name):
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    if start not in text or end not in text:
        sys.exit(f"docs/architecture.md lacks the {start} … {end} table that scripts/checks/layering.py reads")
    rows = []
    for line in text.split(start, 1)[1].split(end, 1)[0].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or set(cells[0]) <= set("-: ") or cells[0].lower() in ("layer", "modules", "module"):
            continue
        rows.append(cells)
    return rows


def names(cell):
    return [n.strip(" `") for n in cell.split(",") if n.strip(" `")]


def load_rules(text):
    layers = {}
    for cells in table(text, "layers"):
        for module in names(cells[1]):
            layers[module] = cells[0]
    never = []
    for cells in table(text, "never-reach"):
        for module in names(cells[0]):
            never.append((module, names(cells[1])))
    return layers, never


def load_targets():
    dump = subprocess.run(["swift", "package", "dump-package"], cwd=ROOT, capture_output=True, text=True, check=True)
    targets = {}
    for t in json.loads(dump.stdout)["targets"]:
        deps = []
        for d in t["dependencies"]:
            kind, value = next(iter(d.items()))
            deps.append(value[0])
        default = {"test": "Tests"}.get(t["type"], "Sources")
        targets[t["name"]] = {"type": t["type"], "path": t.get("path") or os.path.join(default, t["name"]), "deps": deps}
    return targets


def imports(path):
    found = []
    for folder, _, files in os.walk(os.path.join(ROOT, path)):
        for name in sorted(files):
            if not name.endswith(".swift"):
                continue
            file = os.path.join(folder, name)
            with open(file, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    m = IMPORT.match(line)
                    if m:
                        found.append((os.path.relpath(file, ROOT), number, m.group(1)))
    return found


def check(layers, never, targets, extra_imports=()):
    problems = []

    def rank(module):
        value = layers.get(module)
        return int(value) if value is not None and value.isdigit() else None

    for name, target in targets.items():
        if target["type"] in ("test", "system"):
            continue
        if name not in layers:
            problems.append(f"Package.swift: target {name} has no layer in docs/architecture.md")
            continue
        mine = rank(name)
        edges = [("Package.swift", 0, d) for d in target["deps"]] + imports(target["path"])
        edges += [e for t, e in extra_imports if t == name]
        for file, line, other in edges:
            where = f"{file}:{line}" if line else file
            if other == "ReelTesting" and layers.get(name) != "test":
                problems.append(f"{where}: {name} depends on ReelTesting; only tests may")
                continue
            theirs = rank(other)
            if mine is None or theirs is None or other == name:
                continue
            if theirs >= mine:
                problems.append(f"{where}: {name} (layer {mine}) depends on {other} (layer {theirs}); arrows run downward only")
    # Reachability through Package.swift's graph.
    for module, forbidden in never:
        if module not in targets:
            problems.append(f"docs/architecture.md: never-reach names {module}, which Package.swift lacks")
            continue
        seen, stack, via = set(), [module], {module: None}
        while stack:
            current = stack.pop()
            for dep in targets.get(current, {"deps": []})["deps"]:
                if dep not in seen:
                    seen.add(dep)
                    via[dep] = current
                    stack.append(dep)
        for bad in forbidden:
            if bad in seen:
                chain, node = [bad], bad
                while via.get(node):
                    node = via[node]
                    chain.append(node)
                problems.append(f"Package.swift: {module} reaches {bad} ({' -> '.join(reversed(chain))}); it must never link it")
    return problems


def main():
    with open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8") as f:
        text = f.read()
    layers, never = load_rules(text)
    targets = load_targets()
    problems = check(layers, never, targets)
    if "--selftest" in sys.argv:
        # An upward import and a forbidden link must both be reported.
        upward = [("ReelStore", ("Sources/ReelStore/Selftest.swift", 1, "ReelAPI"))]
        bent = {k: dict(v, deps=list(v["deps"])) for k, v in targets.items()}
        if never:
            module, forbidden = never[0]
            bent[module]["deps"].append(forbidden[0])
        found = check(layers, never, bent, upward)
        missing = []
        if not any("Selftest.swift:1: ReelStore" in p for p in found):
            missing.append("an upward import")
        if never and not any(f"{never[0][0]} reaches {never[0][1][0]}" in p for p in found):
            missing.append("a forbidden link")
        if missing:
            problems.append("selftest: the check missed " + " and ".join(missing))
    for p in problems:
        print(p)
    if problems:
        print(f"layering: {len(problems)} problem(s); see docs/architecture.md#layers")
        return 1
    print(f"layering: {sum(1 for t in targets.values() if t['type'] not in ('test', 'system'))} modules, every arrow runs downward")
    return 0


if __name__ == "__main__":
    sys.exit(main())
