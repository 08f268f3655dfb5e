#!/usr/bin/env python3
"""Structure measures for src/ (issue 12): long functions, string errors, status-code matches
and route spellings outside github/, import circles between top-level modules.

Usage: python3 tools/structure.py [--list] [SRC_DIR]
Unit-test modules (`#[cfg(test)] mod ... { }`) are left out of every count.
"""
import os
import re
import sys

LIMIT = 80


def strip(text):
    """Blanks out comments, string and char literals (keeping newlines) so braces can be
    matched and patterns are searched in code only. Returns (code, code_with_strings)."""
    out, keep = [], []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); keep.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j): depth += 1; j += 2
                elif text.startswith("*/", j): depth -= 1; j += 2
                else: j += 1
            blank = re.sub(r"[^\n]", " ", text[i:j]); out.append(blank); keep.append(blank); i = j
        elif re.match(r'(b?r)(#*)"', text[i:i + 40]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'(b?r)(#*)"', text[i:])
            end = '"' + m.group(2)
            j = text.find(end, i + m.end())
            j = n if j < 0 else j + len(end)
            seg = text[i:j]
            out.append(re.sub(r"[^\n]", " ", seg)); keep.append(seg); i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            seg = text[i:j]
            out.append('"' + re.sub(r"[^\n]", " ", seg[1:-1]) + '"'); keep.append(seg); i = j
        elif c == "'":
            m = re.match(r"'(\\.[^']*|[^\\'])'", text[i:i + 12])
            if m:
                out.append(" " * m.end()); keep.append(text[i:i + m.end()]); i += m.end()
            else:
                out.append(c); keep.append(c); i += 1
        else:
            out.append(c); keep.append(c); i += 1
    return "".join(out), "".join(keep)


def match_brace(code, start):
    depth = 0
    for k in range(start, len(code)):
        if code[k] == "{": depth += 1
        elif code[k] == "}":
            depth -= 1
            if depth == 0: return k
    return len(code) - 1


def without_tests(code, keep):
    """Blanks `#[cfg(test)]` items (test modules and test-only functions)."""
    code, keep = list(code), list(keep)
    s = "".join(code)
    for m in reversed(list(re.finditer(r"#\[cfg\(test\)\]", s))):
        b = s.find("{", m.end())
        semi = s.find(";", m.end())
        if b < 0 or (0 <= semi < b): continue
        e = match_brace(s, b)
        for k in range(m.start(), e + 1):
            if code[k] != "\n": code[k] = " "; keep[k] = " "
    return "".join(code), "".join(keep)


FN = re.compile(r"^[ \t]*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+\"C\"\s+)?fn\s+(\w+)", re.M)


def functions(path, code):
    res = []
    for m in FN.finditer(code):
        # the body's `{` is the first one after the signature's closing parenthesis at depth 0
        k, depth = m.end(), 0
        while k < len(code):
            ch = code[k]
            if ch in "(<[": depth += 1
            elif ch in ")>]": depth -= 1
            elif ch == ";" and depth <= 0: k = -1; break
            elif ch == "{" and depth <= 0: break
            k += 1
        if k < 0 or k >= len(code): continue
        e = match_brace(code, k)
        first = code.count("\n", 0, m.start()) + 1
        last = code.count("\n", 0, e) + 1
        res.append((last - first + 1, path, first, m.group(1)))
    return res


def top_module(rel):
    parts = rel[:-3].split("/")
    return parts[0]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src = args[0] if args else "src"
    listing = "--list" in sys.argv
    files = []
    for root, _, names in os.walk(src):
        for name in names:
            if name.endswith(".rs"):
                files.append(os.path.join(root, name))
    files.sort()
    long_fns, string_err, tuple_err, to_string_err, status, routes = [], [], [], [], [], []
    graph = {}
    for f in files:
        rel = os.path.relpath(f, src)
        text = open(f, encoding="utf-8").read()
        code, keep = strip(text)
        code, keep = without_tests(code, keep)
        long_fns += [x for x in functions(rel, code) if x[0] > LIMIT]
        lines = code.split("\n")
        klines = keep.split("\n")
        in_github = rel.startswith("github/")
        joined = re.sub(r"\s+", " ", code)
        # Result<_, String> in any spelling, type aliases included (a multi-line generic is
        # joined first)
        for m in re.finditer(r"Result<(?:[^<>]|<(?:[^<>]|<[^<>]*>)*>)*,\s*String\s*>", joined):
            string_err.append((rel, m.group(0)[:70]))
        for m in re.finditer(r"\(\s*u8\s*,\s*String\s*\)", joined):
            tuple_err.append((rel, m.group(0)))
        for i, l in enumerate(lines, 1):
            if re.search(r"map_err\(\s*\|\w+\|\s*\w+\.to_string\(\)\s*\)|map_err\(\s*\|\w+\|\s*format!|ok_or_else\(\s*\|\|\s*format!|Err\(\s*format!\(|Err\(\s*\"[^\"]*\"\s*\.to_string\(\)|\.map_err\(\s*\|_\|\s*\"", l):
                to_string_err.append((rel, i, l.strip()[:90]))
            if not in_github:
                if re.search(r"\bStatusCode\b|\.status\(\)|\bas_u16\(\)", l):
                    status.append((rel, i, l.strip()[:90]))
                kl = klines[i - 1]
                if re.search(r"\"/(repos|orgs|users|user|app|installation)\b|\bsecrets_path\(|\bsecret_path\(|\bpublic_key_path\(|routes::|per_page=", kl):
                    routes.append((rel, i, kl.strip()[:90]))
        mod = top_module(rel)
        deps = graph.setdefault(mod, set())
        for m in re.finditer(r"\bcrate::(\w+)|use crate::\{([^}]*)\}", code):
            names = [m.group(1)] if m.group(1) else re.findall(r"(?:^|,)\s*(\w+)", m.group(2))
            for d in names:
                if d and d != mod and os.path.exists(os.path.join(src, d + ".rs")) or os.path.isdir(os.path.join(src, d or "-")):
                    if d != mod: deps.add(d)
    # circles: strongly connected components with more than one module
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index: visit(v)
    pairs = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if a in graph.get(b, ())})

    print(f"functions over {LIMIT} lines: {len(long_fns)}")
    for n, p, line, name in sorted(long_fns, reverse=True):
        print(f"  {n:4d}  {p}:{line} {name}")
    print(f"Result<_, String> (incl. aliases): {len(string_err)}")
    print(f"(u8, String): {len(tuple_err)}")
    print(f"string-error plumbing (map_err to_string/format!, Err(format!)): {len(to_string_err)}")
    print(f"StatusCode/status matches outside github/: {len(status)}")
    print(f"route spellings outside github/: {len(routes)}")
    print(f"import circles (modules in a cycle): {len(sccs)}  mutual pairs: {len(pairs)}")
    for c in sccs:
        print("  circle: " + ", ".join(c))
    for a, b in pairs:
        print(f"  {a} <-> {b}")
    if listing:
        for title, rows in (("Result<_, String>", string_err), ("(u8, String)", tuple_err),
                            ("plumbing", to_string_err), ("status", status), ("routes", routes)):
            print(f"--- {title}")
            for r in rows:
                print("  ", *r)


main()
