#!/usr/bin/env python3
"""The house's import rules, checked over the source tree (ARCHITECTURE.md, "Layers").

Usage: .ci/layers.py [--graph] [--self-test]

For the library (src/lib.rs) and the binary (src/bin/dhan-feed/main.rs) it reads every
file's paths (`use` trees and paths in code: `crate::…`, `super::…`, `self::…`, and
paths through a child module declared in the file), resolves each to the file that
defines the item (following `use` re-exports), and fails when

  * a file imports from a top-level module in a higher layer than its own (LAYERS), or
  * two or more files import each other, directly or round a circle, inside a folder
    or across folders (a `mod child;` declaration is not an import), or
  * library code writes to stdout or stderr (`print!`, `eprintln!`, `dbg!`,
    `io::stdout()`, …): the library logs through the `log` facade; only the binary
    prints.

Unit tests (`#[cfg(test)] mod tests { … }`) are ignored: a test may use what it likes.
`--graph` prints the module-level edges.
"""
import os
import re
import sys

# Lowest first. A module may import from its own layer only when no circle forms,
# and from every layer below it.
LAYERS = [
    ["time", "secret", "buffer", "random", "resolve", "tap"],
    ["proto", "ws"],
    ["session"],
    ["event", "config", "ring", "cache"],
    ["transport", "instrument"],
    ["engine"],
    ["error"],
    ["feed"],
    ["client", "token"],
    ["sim", "jsonl", "internals", "web", "sink", "journal", "ipc"],
    ["lib"],
]
LAYER_OF = {m: i for i, names in enumerate(LAYERS) for m in names}

PRINTS = re.compile(r"\b(?:e?print(?:ln)?!|dbg!|(?:io::)?std(?:out|err)\(\))")

ROOTS = {"lib": "src/lib.rs", "bin": "src/bin/dhan-feed/main.rs"}


def strip(text):
    """Removes comments, string and char literals, and #[cfg(test)] modules."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and not (i and (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + len(m.group(0)))
            i = n if end < 0 else end + 1 + len(m.group(1))
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or c == "'" and re.match(r"'\\[ux]", text[i:i + 3]):
            j = text.find("'", i + 2)
            i = j + 1
        else:
            out.append(c)
            i += 1
    code = "".join(out)
    return drop_test_modules(code)


def drop_test_modules(code):
    while True:
        m = re.search(r"#\[cfg\((?:all\()?test[^\]]*\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", code)
        if not m:
            return code
        depth, i = 1, m.end()
        while i < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[i], 0)
            i += 1
        code = code[:m.start()] + code[i:]


def module_files(root_file):
    """Maps module path (tuple) -> file, following `mod x;` declarations."""
    files = {}

    def visit(path, file):
        files[path] = file
        code = strip(open(file).read())
        base = os.path.dirname(file)
        if not (file.endswith("mod.rs") or file.endswith("lib.rs") or file.endswith("main.rs")):
            base = file[:-3]
        for m in re.finditer(r"(?:#\[path\s*=\s*\"([^\"]+)\"\]\s*)?(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", code):
            name = m.group(2)
            for cand in (os.path.join(base, name + ".rs"), os.path.join(base, name, "mod.rs")):
                if os.path.exists(cand):
                    visit(path + (name,), cand)
                    break

    visit((), root_file)
    return files


def use_trees(code):
    """Yields each `use` declaration's expanded paths as lists of segments."""
    for m in re.finditer(r"\buse\s+([^;]+);", code):
        yield from expand(m.group(1).replace(" ", "").replace("\n", ""))


def expand(tree):
    depth, i = 0, 0
    for i, c in enumerate(tree):
        if c == "{" and depth == 0:
            prefix = tree[:i]
            inner = tree[i + 1:tree.rindex("}")]
            parts, d, start = [], 0, 0
            for j, ch in enumerate(inner):
                if ch == "{":
                    d += 1
                elif ch == "}":
                    d -= 1
                elif ch == "," and d == 0:
                    parts.append(inner[start:j])
                    start = j + 1
            parts.append(inner[start:])
            for p in parts:
                if not p:
                    continue
                if p == "self":
                    yield [s for s in prefix.rstrip(":").split("::") if s]
                else:
                    for sub in expand(p):
                        yield [s for s in prefix.split("::") if s] + sub
            return
    path = re.sub(r"\bas\w+$", "", tree.split(" as ")[0]) if " as " in tree else tree
    path = re.sub(r"as[A-Za-z_]\w*$", "", path) if re.search(r"[a-z_]as[A-Z_]", path) else path
    yield [s for s in path.split("::") if s]


class Crate:
    def __init__(self, root_file):
        self.files = module_files(root_file)
        self.code = {p: strip(open(f).read()) for p, f in self.files.items()}
        self.children = {p: {q[-1] for q in self.files if len(q) == len(p) + 1 and q[:-1] == p} for p in self.files}
        self.uses = {}
        for p, code in self.code.items():
            names = {}
            for segs in use_trees(code):
                if segs and segs[-1] != "*":
                    names[segs[-1]] = segs
            raw = re.findall(r"\buse\s+([^;]+);", code)
            for r in raw:
                for m in re.finditer(r"([\w:]+)\s+as\s+(\w+)", r.replace("\n", " ")):
                    names[m.group(2)] = [s for s in m.group(1).split("::") if s]
            self.uses[p] = names

    def absolute(self, module, segs):
        """Turns a path written in `module` into an absolute module path, or None."""
        if not segs:
            return None
        head, rest = segs[0], segs[1:]
        if head == "crate":
            return rest
        if head == "self":
            return list(module) + rest
        if head == "super":
            base = list(module)
            while segs and segs[0] == "super":
                base, segs = base[:-1], segs[1:]
            return base + segs
        if head in self.children.get(module, ()):
            return list(module) + segs
        return None

    def resolve(self, segs, seen=None):
        """Returns the module (tuple) whose file defines what the absolute path names."""
        seen = seen or set()
        key = tuple(segs)
        if key in seen:
            return None
        seen.add(key)
        mod = ()
        i = 0
        while i < len(segs) and mod + (segs[i],) in self.files:
            mod = mod + (segs[i],)
            i += 1
        if i < len(segs):
            name = segs[i]
            target = self.uses.get(mod, {}).get(name)
            if target:
                absolute = self.absolute(mod, target)
                if absolute is not None:
                    found = self.resolve(absolute + segs[i + 1:], seen)
                    if found is not None:
                        return found
        return mod

    def edges(self):
        out = {p: set() for p in self.files}
        for p, code in self.code.items():
            paths = list(use_trees(code))
            body = re.sub(r"\buse\s+[^;]+;", "", code)
            for m in re.finditer(r"(?<![\w:])((?:crate|super|self|[a-z_][a-z0-9_]*)(?:::\w+)+)", body):
                paths.append(m.group(1).split("::"))
            for segs in paths:
                if segs and segs[-1] == "*":
                    segs = segs[:-1]
                absolute = self.absolute(p, segs)
                if absolute is None:
                    continue
                target = self.resolve(absolute)
                if target is None or target == p:
                    continue
                # A parent naming its child (`mod child;`, `child::X` re-exported) or a
                # path through an ancestor's declarations resolves to the defining file.
                if target in self.files and target != ():
                    out[p].add(target)
        return out


def sccs(graph):
    index, low, stack, on, result, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                result.append(comp)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return result


def check():
    """Returns the list of problems of the tree under the current directory."""
    failures = []
    for crate_name, root in ROOTS.items():
        if not os.path.exists(root):
            continue
        crate = Crate(root)
        graph = crate.edges()
        name = lambda p: crate.files[p]
        for comp in sccs(graph):
            failures.append(f"{crate_name}: import circle: " + " <-> ".join(sorted(name(p) for p in comp)))
        if crate_name != "lib":
            continue
        for p, code in crate.code.items():
            m = PRINTS.search(code)
            if m:
                failures.append(f"lib: {name(p)} writes to stdout/stderr ({m.group(0)}): use the log facade")
        module_edges = set()
        for p, targets in graph.items():
            for t in targets:
                src = p[0] if p else "lib"
                dst = t[0] if t else "lib"
                if src == dst:
                    continue
                module_edges.add((src, dst))
                if src not in LAYER_OF or dst not in LAYER_OF:
                    failures.append(f"lib: module {src if src not in LAYER_OF else dst} has no layer in .ci/layers.py")
                elif LAYER_OF[dst] > LAYER_OF[src]:
                    failures.append(f"lib: upward import: {name(p)} uses {name(t)} ({src} sits below {dst})")
                elif LAYER_OF[dst] == LAYER_OF[src]:
                    pass
        if "--graph" in sys.argv:
            for s, d in sorted(module_edges):
                print(f"{s} -> {d}")
    return sorted(set(failures))


def self_test():
    """The checker on small trees with one known fault each: it must find it."""
    import tempfile
    cases = {
        "upward": ({"lib.rs": "mod proto; mod engine;",
                    "proto/mod.rs": "mod market;",
                    "proto/market.rs": "use crate::engine::Engine;",
                    "engine/mod.rs": "pub struct Engine;"}, "upward import"),
        "circle": ({"lib.rs": "mod engine;",
                    "engine/mod.rs": "mod a; mod b;",
                    "engine/a.rs": "use super::b::B; pub struct A;",
                    "engine/b.rs": "pub struct B; fn f() -> super::a::A { todo!() }"}, "import circle"),
        "re-export circle": ({"lib.rs": "mod feed;",
                              "feed/mod.rs": "mod a; pub use a::A; pub struct Shared;",
                              "feed/a.rs": "use super::Shared; pub struct A;"}, "import circle"),
        "prints": ({"lib.rs": "mod time;",
                    "time.rs": "/// println!(\"doc\")\nfn f() { eprintln!(\"x\"); }"}, "writes to stdout"),
        "clean": ({"lib.rs": "mod time; mod proto;",
                   "time.rs": "pub fn now() {}",
                   "proto/mod.rs": "mod a; pub use a::f;\n#[cfg(test)]\nmod tests { use crate::engine::X; }",
                   "proto/a.rs": "pub fn f() { crate::time::now(); let s = \"crate::engine::X\"; }"}, None),
    }
    here = os.getcwd()
    for name, (files, expect) in cases.items():
        with tempfile.TemporaryDirectory() as d:
            for path, text in files.items():
                os.makedirs(os.path.dirname(os.path.join(d, "src", path)), exist_ok=True)
                open(os.path.join(d, "src", path), "w").write(text)
            os.chdir(d)
            try:
                got = check()
            finally:
                os.chdir(here)
        if expect is None:
            assert not got, f"self-test {name}: unexpected {got}"
        else:
            assert any(expect in g for g in got), f"self-test {name}: expected {expect!r}, got {got}"
    print(f"layers: self-test passed ({len(cases)} trees)")


def main():
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    if "--self-test" in sys.argv:
        self_test()
    failures = check()
    for f in failures:
        print(f)
    if failures:
        print(f"{len(failures)} layering problem(s); see ARCHITECTURE.md, \"Layers\"")
        sys.exit(1)
    print("layers: no upward import, no import circle")


if __name__ == "__main__":
    main()
