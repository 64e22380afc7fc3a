#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""guide_apply.py GUIDE.md PROJECT_DIR

Applies the code of a guide to a project made by scripts/new-scheduler, the way a reader
follows it: every fenced code block that follows a `<!-- guide: FILE -->` line is a set of
C items (functions, macro definitions and calls, variables, #includes) for PROJECT_DIR/FILE.
An item replaces the item of the same name in that file (with the comment above it); a new
one is added where such things go: an #include after the last one, an ops callback before
SCXPP_OPS_DEFINE, anything else before the first ops callback. Fails, naming the block,
when a block has no marker or an item cannot be placed, so the guide and its test cannot
drift apart silently.
"""

import re
import sys

MARKER = re.compile(r"^<!-- guide: (\S+) -->\s*$")
OPS_FN = re.compile(r"\bSCXPP_OPS(?:_SLEEPABLE)?\((\w+)")


def blank_comments(text):
    """text with comments and string literals replaced by spaces (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
        else:
            out.append(text[i])
            i += 1
            continue
        out.append("".join(c if c == "\n" else " " for c in text[i:j]))
        i = j
    return "".join(out)


def key_of(code, original):
    """The name an item is known by, from its comment-free text (and, for an #include,
    the original, whose file name is a string)."""
    first = code.strip()
    if first.startswith("#include"):
        return ("include", original.strip().split(None, 1)[1].strip())
    m = re.match(r"#define\s+(\w+)", first)
    if m:
        return ("define", m.group(1))
    if first.startswith("#"):
        return None
    m = OPS_FN.search(first.split("\n", 1)[0])
    if m:
        return ("ops", m.group(1))
    m = re.match(r"(\w+)\s*\(", first)  # a macro call at top level: SCXPP_OPS_DEFINE(...)
    if m:
        return ("macro", m.group(1))
    # An anonymous struct's variable (a BPF map): struct { ... } name SEC(".maps");
    m = re.match(r"struct\s*\{.*\}\s*(\w+)", first, re.S)
    if m:
        return ("var", m.group(1))
    head = re.sub(r"\bSEC\s*\([^)]*\)", "", first.split("{", 1)[0].split("=", 1)[0])
    m = re.search(r"(\w+)\s*\(", head)  # a function
    if m:
        return ("fn", m.group(1))
    m = re.search(r"(\w+)\s*(\[[^\]]*\])?\s*;?\s*$", head.strip())
    return ("var", m.group(1)) if m else None


def items(text):
    """[(start, code_start, end, key)] line spans of the top-level items of C text; a
    comment right above an item belongs to it (start <= code_start)."""
    lines = text.split("\n")
    code = blank_comments(text).split("\n")
    result, i, comment_start = [], 0, None
    while i < len(lines):
        if not code[i].strip():
            if lines[i].strip():  # a comment line
                if comment_start is None:
                    comment_start = i
            else:
                comment_start = None
            i += 1
            continue
        start = comment_start if comment_start is not None else i
        comment_start = None
        j, depth = i, 0
        if code[i].lstrip().startswith("#"):
            while code[j].rstrip().endswith("\\") and j + 1 < len(lines):
                j += 1
        else:
            while True:
                depth += code[j].count("{") + code[j].count("(")
                depth -= code[j].count("}") + code[j].count(")")
                stripped = code[j].rstrip()
                if depth <= 0 and (stripped.endswith(";") or stripped.endswith("}")):
                    break
                if j + 1 >= len(lines):
                    raise ValueError(f"unterminated item at line {i + 1}: {lines[i]!r}")
                j += 1
        result.append((start, i, j + 1, key_of("\n".join(code[i:j + 1]), "\n".join(lines[i:j + 1]))))
        i = j + 1
    return result


def apply_block(path, block):
    with open(path) as f:
        text = f.read()
    new_lines = block.rstrip("\n").split("\n")
    for start, code_start, end, key in items(block):
        if key is None:
            raise ValueError(f"{path}: cannot name the item {new_lines[code_start]!r}")
        piece = new_lines[start:end]
        lines = text.split("\n")
        spans = items(text)
        same = [s for s in spans if s[3] == key]
        if same:
            s, cs, e, _ = same[0]
            if key[0] == "include":
                continue
            # Without a comment of its own, the item keeps the one the file has.
            lines[s if start < code_start else cs:e] = piece
        else:
            if key[0] == "include":
                at = max(e for s, cs, e, k in spans if k and k[0] == "include")
            elif key[0] == "ops":
                at = next(s for s, cs, e, k in spans if k == ("macro", "SCXPP_OPS_DEFINE"))
                piece = piece + [""]
            else:
                at = next(s for s, cs, e, k in spans if k and k[0] == "ops")
                piece = piece + [""]
            lines[at:at] = piece
        text = "\n".join(lines)
    with open(path, "w") as f:
        f.write(text)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    guide, project = sys.argv[1:]
    target, in_block, block, applied, opened = None, False, [], 0, 0
    with open(guide) as f:
        for n, line in enumerate(f, 1):
            if in_block:
                if line.startswith("```"):
                    in_block = False
                    try:
                        apply_block(f"{project}/{target}", "".join(block))
                    except (ValueError, StopIteration) as e:
                        sys.exit(f"{guide}:{opened}: this block does not apply to {target}: "
                                 f"{e or 'no place for one of its items'}")
                    applied += 1
                    target = None
                else:
                    block.append(line)
                continue
            m = MARKER.match(line)
            if m:
                target = m.group(1)
            elif re.match(r"```c\s*$", line):
                if not target:
                    sys.exit(f"{guide}:{n}: a C block without a `<!-- guide: FILE -->` line "
                             "above it: say which file of the project it changes")
                in_block, block, opened = True, [], n
            elif line.strip() and target:
                sys.exit(f"{guide}:{n}: a guide marker not followed by a ```c block")
    if in_block:
        sys.exit(f"{guide}:{opened}: the code block is not closed")
    if target:
        sys.exit(f"{guide}: the last guide marker has no code block")
    if not applied:
        sys.exit(f"{guide}: no `<!-- guide: FILE -->` code blocks")
    print(f"guide_apply: {applied} blocks of {guide} applied to {project}")


if __name__ == "__main__":
    main()
