#!/usr/bin/env python3
"""Lists the functions in src/ longer than a limit (default 80 lines) and fails when there are any.

A function is a definition starting at column 0 of a .cpp file (raceit does not indent namespace
bodies), from its first declaration line to its closing brace, comments and blank lines included.
Strings and comments are blanked before braces are matched, so a brace inside them does not count.
Functions a session leaves to another helper can be listed with --except NAME (their name before the
parameter list, e.g. `mvm`), and are then reported but not counted.

    tools/long_functions.py [--limit 80] [--except mvm ...] [ROOT]
"""
import argparse
import pathlib
import re
import sys

SKIP = re.compile(r"^(namespace|struct|class|enum|union|using|typedef|template\s*<[^>]*>\s*(struct|class)|extern|#|//|/\*|\}|\s|$)")


def blank_strings_and_comments(text):
    """The text with every comment and string/char literal replaced by spaces (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i)); i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            k = text.find("(", i)
            delim = ")" + text[i + 2:k] + '"'
            j = text.find(delim, k)
            j = n if j < 0 else j + len(delim)
            out.append(re.sub(r"[^\n]", " ", text[i:j])); i = j
        elif c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                out.append(c); i += 1; continue
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (min(j, n - 1) + 1 - i)); i = j + 1
        else:
            out.append(c); i += 1
    return "".join(out)


def functions(path):
    """(name, first line, line count) of each function defined at column 0 of `path`."""
    code = blank_strings_and_comments(path.read_text())
    lines = code.split("\n")
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos); pos += len(line) + 1
    found, row = [], 0
    while row < len(lines):
        if SKIP.match(lines[row]):
            row += 1; continue
        # The declaration runs until '{' (a definition) or ';' outside parentheses.
        depth, i = 0, offsets[row]
        while i < len(code):
            ch = code[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif depth == 0 and ch in "{;":
                break
            i += 1
        head = code[offsets[row]:i]
        if i >= len(code) or code[i] == ";" or "(" not in head or "=" in head.split("(")[0]:
            row = code.count("\n", 0, i) + 1; continue
        braces, j = 0, i
        while j < len(code):
            braces += {"{": 1, "}": -1}.get(code[j], 0)
            if braces == 0:
                break
            j += 1
        last = code.count("\n", 0, j)
        name = re.findall(r"([~\w:]+)\s*\(", head)
        found.append((name[0] if name else "?", row + 1, last - row + 1))
        row = last + 1
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", nargs="?", default=str(pathlib.Path(__file__).resolve().parent.parent))
    ap.add_argument("--limit", type=int, default=80)
    ap.add_argument("--except", dest="excepted", action="append", default=[])
    args = ap.parse_args()
    root = pathlib.Path(args.root)
    long_ones = []
    for path in sorted((root / "src").rglob("*.cpp")):
        for name, line, count in functions(path):
            if count > args.limit:
                long_ones.append((path.relative_to(root), line, name, count))
    failed = False
    for path, line, name, count in long_ones:
        excepted = name.split("::")[-1] in args.excepted
        failed |= not excepted
        print(f"{path}:{line}: {name} is {count} lines (limit {args.limit}){' [excepted]' if excepted else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
