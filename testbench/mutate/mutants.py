"""Source-level mutants of a design's Verilog: one operator or constant changed in one module."""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path

from ..design import Design, load_design

__all__ = ["OPERATORS", "Mutant", "enumerate_mutants", "get_operator", "sample_mutants",
           "write_mutant_design"]

#: Operator name -> what it changes (the mutation classes of docs/mutation.md).
OPERATORS = {
    "arith": "binary + <-> -",
    "relational": "== <-> !=, < <-> <=, > <-> >= (comparisons inside parentheses)",
    "logical": "&& <-> ||",
    "bitwise": "binary & <-> |, ^ -> |",
    "negation": "drop a ! or ~",
    "shift": "<< <-> >>, >>> -> >>",
    "constant": "a literal +1 / -1 (1'b0 <-> 1'b1)",
    "condition": "if (c) -> if (!(c))",
}


def get_operator(name: str) -> str:
    """The description of mutation operator ``name``; ``KeyError`` lists the valid names."""
    try:
        return OPERATORS[name]
    except KeyError:
        raise KeyError(f"unknown mutation operator {name!r}; valid: "
                       f"{', '.join(sorted(OPERATORS))}") from None


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One source mutation: ``original`` at ``offset`` of ``file`` replaced by ``replacement``.

    Attributes
    ----------
    id : str
        ``<module>.m<index>``: the index in the module's candidate list (stable while the source
        is unchanged), e.g. ``sc_lif.m017``.
    module : str
        The module the mutation lies in.
    file : Path
        The source file.
    offset : int
        Character offset of ``original`` in the file.
    line, col : int
        1-based position of ``offset``.
    operator : str
        A key of :data:`OPERATORS`.
    original, replacement : str
        The text replaced and its replacement.
    """

    id: str
    module: str
    file: Path
    offset: int
    line: int
    col: int
    operator: str
    original: str
    replacement: str

    @property
    def location(self) -> str:
        return f"{self.file.name}:{self.line}:{self.col}"

    def describe(self) -> str:
        """One line: where and what, e.g. ``sc_lif.v:48:36 relational '!=' -> '=='``."""
        return f"{self.location} {self.operator} {self.original!r} -> {self.replacement!r}"

    def source_line(self) -> str:
        """The mutated source line, as the mutant has it."""
        text = self.apply(self.file.read_text())
        return text.splitlines()[self.line - 1].strip()

    def apply(self, text: str) -> str:
        """``text`` (the file's content) with the mutation applied."""
        end = self.offset + len(self.original)
        if text[self.offset:end] != self.original:
            raise ValueError(f"mutant {self.id}: {self.file} changed since the mutant was made "
                             f"(expected {self.original!r} at offset {self.offset})")
        return text[:self.offset] + self.replacement + text[end:]

    def to_dict(self) -> dict:
        return {"id": self.id, "module": self.module, "file": str(self.file),
                "line": self.line, "col": self.col, "operator": self.operator,
                "original": self.original, "replacement": self.replacement,
                "description": self.describe()}


def _blank(text: str) -> str:
    """``text`` with comments, strings, compiler directives and simulation-only code (the
    ```ifndef SYNTHESIS`` checkers) blanked (same length)."""
    def spaces(m: re.Match) -> str:
        return re.sub(r"[^\n]", " ", m.group(0))
    code = re.sub(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\])*\"", spaces, text, flags=re.S)
    chars = list(code)
    for a, b in _simulation_only(code):
        chars[a:b] = [c if c == "\n" else " " for c in chars[a:b]]
    return re.sub(r"`[A-Za-z_]\w*[^\n]*", spaces, "".join(chars))


def _simulation_only(code: str) -> list[tuple[int, int]]:
    """``(start, end)`` of the code that synthesis does not see: the body of an
    ```ifndef SYNTHESIS`` (to its ```else``/```elsif``/```endif``) and the ```else`` branch of
    an ```ifdef SYNTHESIS``. Assertions and their bookkeeping live there: they check the design,
    they are not the design, so no mutant touches them (yosys, which defines ``SYNTHESIS``,
    would find such a mutant identical anyway)."""
    out: list[tuple[int, int]] = []
    stack: list[list] = []  # [directive, macro, start of the excluded branch or None]
    for m in re.finditer(r"`(ifdef|ifndef|elsif|else|endif)\b[ \t]*(\w*)", code):
        kind, name = m.group(1), m.group(2)
        if kind in ("ifdef", "ifndef"):
            sim_only = kind == "ifndef" and name == "SYNTHESIS"
            stack.append([kind, name, m.end() if sim_only else None])
        elif stack:
            top = stack[-1]
            if top[2] is not None:
                out.append((top[2], m.start()))
                top[2] = None
            if kind == "else" and top[0] == "ifdef" and top[1] == "SYNTHESIS":
                top[2] = m.end()
            if kind == "endif":
                stack.pop()
    return out


_MODULE = re.compile(r"\bmodule\s+([A-Za-z_][\w$]*)")
_DECL = re.compile(r"^\s*(input|output|inout|parameter|module)\b")
#: Declarations: only what follows their first ``=`` is logic (an initial value, a wire's driver).
_DECLARES = re.compile(r"^\s*(wire|reg|logic|localparam|integer|genvar|function)\b")


def _excluded(seg: str) -> list[bool]:
    """Positions of ``seg`` no mutation touches: widths and indices (inside ``[]``), loop
    headers of ``for``, replication counts, and declarations up to their first ``=``."""
    out = [False] * len(seg)
    depth = 0
    for i, c in enumerate(seg):
        if c == "[":
            depth += 1
        out[i] = depth > 0
        if c == "]":
            depth -= 1
    for m in re.finditer(r"\bfor\s*\(", seg):
        d, j = 0, m.end() - 1
        while j < len(seg):
            d += {"(": 1, ")": -1}.get(seg[j], 0)
            if d == 0:
                break
            j += 1
        out[m.start():j + 1] = [True] * (j + 1 - m.start())
    for m in re.finditer(r"\{\s*(?:[\w']+|\([^{}]*\))\s*\{", seg):
        out[m.start():m.end()] = [True] * (m.end() - m.start())
    pos = 0
    for line in seg.split("\n"):
        if _DECLARES.match(line):
            eq = re.search(r"(?<![<>=!])=(?!=)", line)
            stop = eq.end() if eq else len(line)
            out[pos:pos + stop] = [True] * stop
        pos += len(line) + 1
    return out
_BINARY_LEFT = re.compile(r"[\w)\]']\s*$")


def _bodies(code: str) -> list[tuple[str, int, int]]:
    """``(module, body_start, body_end)``: from after the port list's ``);`` to ``endmodule``."""
    out = []
    for m in _MODULE.finditer(code):
        end = code.find("endmodule", m.end())
        if end < 0:
            continue
        # The header ends at the first ");" at parenthesis depth 0 after the name.
        depth, i, start = 0, m.end(), None
        while i < end:
            c = code[i]
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif c == ";" and depth == 0:
                start = i + 1
                break
            i += 1
        if start is not None:
            out.append((m.group(1), start, end))
    return out


def _paren_depth(code: str, start: int) -> list[int]:
    depth, out = 0, []
    for c in code[start:]:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        out.append(depth)
    return out


def _candidates(code: str, start: int, end: int) -> list[tuple[int, str, str, str]]:
    """``(offset, operator, original, replacement)`` of every mutation in ``code[start:end]``."""
    seg = code[start:end]
    depth = _paren_depth(code, start)
    found: list[tuple[int, str, str, str]] = []
    line_starts = [0] + [i + 1 for i, c in enumerate(seg) if c == "\n"]

    def skip_line(i: int) -> bool:
        ls = max(s for s in line_starts if s <= i)
        le = seg.find("\n", i)
        return bool(_DECL.match(seg[ls:le if le >= 0 else len(seg)]))

    def binary(i: int) -> bool:
        return bool(_BINARY_LEFT.search(seg[:i]))

    excluded = _excluded(seg)

    def add(i: int, op: str, orig: str, rep: str) -> None:
        if not skip_line(i) and not excluded[i]:
            found.append((start + i, op, orig, rep))

    for m in re.finditer(r"<<<|>>>|<<|>>|<=|>=|==|!=|&&|\|\||~\^|\^~|~&|~\||[-+<>&|^!~]", seg):
        tok, i = m.group(0), m.start()
        nxt = seg[m.end():m.end() + 1]
        if tok in ("+", "-"):
            if nxt == ":" or not binary(i) or seg[i - 1:i] == "e":
                continue  # a part select (+: -:), a unary sign
            add(i, "arith", tok, "-" if tok == "+" else "+")
        elif tok in ("==", "!="):
            add(i, "relational", tok, "!=" if tok == "==" else "==")
        elif tok in ("<", "<=", ">", ">="):
            if depth[i] <= 0 or nxt == "=" or (tok in ("<", ">") and seg[i - 1:i] in "=-"):
                continue  # a non-blocking assignment or not a comparison
            add(i, "relational", tok, {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}[tok])
        elif tok in ("&&", "||"):
            add(i, "logical", tok, "||" if tok == "&&" else "&&")
        elif tok in ("&", "|", "^"):
            if not binary(i):
                continue  # a reduction operator
            add(i, "bitwise", tok, {"&": "|", "|": "&", "^": "|"}[tok])
        elif tok in ("!", "~"):
            if nxt == "=":
                continue
            add(i, "negation", tok, "")
        elif tok in ("<<", ">>", ">>>"):
            add(i, "shift", tok, {"<<": ">>", ">>": "<<", ">>>": ">>"}[tok])
    for m in re.finditer(r"(?<![\w$'.])(\d+)?'(s?)([bdh])([0-9a-fA-F_]+)\b|(?<![\w$'.\[])(\d+)\b",
                         seg):
        i = m.start()
        if m.group(5) is not None:
            if seg[m.end():m.end() + 1] == "'":
                continue  # the size of a sized literal
            value = int(m.group(5))
            reps = [str(value + 1)] + ([str(value - 1)] if value > 0 else [])
        else:
            size, signed, base, digits = m.group(1) or "", m.group(2), m.group(3), m.group(4)
            try:
                value = int(digits.replace("_", ""), {"b": 2, "d": 10, "h": 16}[base])
            except ValueError:
                continue
            fmt = {"b": "b", "d": "d", "h": "x"}[base]
            vals = [value + 1] + ([value - 1] if value > 0 else [])
            if size == "1":
                vals = [1 - value] if value in (0, 1) else []
            reps = [f"{size}'{signed}{base}{v:{fmt}}" for v in vals]
        for rep in reps:
            add(i, "constant", m.group(0), rep)
    for m in re.finditer(r"\bif\s*\(", seg):
        open_at = m.end() - 1
        d, j = 0, open_at
        while j < len(seg):
            d += {"(": 1, ")": -1}.get(seg[j], 0)
            if d == 0:
                break
            j += 1
        cond = seg[open_at:j + 1]
        add(open_at, "condition", cond, f"(!{cond})")
    return sorted(found)


def enumerate_mutants(design: Design, module: str | None = None) -> dict[str, list[Mutant]]:
    """Every candidate mutant of every module of ``design`` (or of ``module`` only).

    Returns
    -------
    dict of str to list of Mutant
        Module name -> its candidates, in source order (the order that numbers the ids).

    Raises
    ------
    ValueError
        ``module`` is not a module of the design.
    """
    out: dict[str, list[Mutant]] = {}
    for path in dict.fromkeys(design.files):
        text = path.read_text(errors="replace")
        code = _blank(text)
        for name, start, end in _bodies(code):
            if module is not None and name != module:
                continue
            muts = []
            for k, (off, op, orig, rep) in enumerate(_candidates(code, start, end)):
                line = text.count("\n", 0, off) + 1
                col = off - (text.rfind("\n", 0, off) + 1) + 1
                muts.append(Mutant(f"{name}.m{k:03d}", name, path, off, line, col, op,
                                   text[off:off + len(orig)], rep))
            out.setdefault(name, muts)
    if module is not None and module not in out:
        raise ValueError(f"module: {module!r} is not a module of design {design.name}; "
                         f"valid: {', '.join(sorted(design.modules()))}")
    return out


def sample_mutants(candidates: dict[str, list[Mutant]], count: int, seed: int,
                   modules: list[str] | None = None) -> list[Mutant]:
    """A seeded sample of ``count`` mutants spread evenly over the modules (round robin).

    Each module's candidates are shuffled with ``random.Random(f"{seed}:{module}")``; the sample
    takes one from each module in turn, so every module with candidates gets ``count //
    n_modules`` or one more (fewer when it has fewer candidates).
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count!r}")
    names = [m for m in (modules or sorted(candidates)) if candidates.get(m)]
    pools = {}
    for name in names:
        pool = list(candidates[name])
        random.Random(f"{seed}:{name}").shuffle(pool)
        pools[name] = pool
    picked: list[Mutant] = []
    while len(picked) < count and any(pools.values()):
        for name in names:
            if pools[name] and len(picked) < count:
                picked.append(pools[name].pop(0))
    return picked


def write_mutant_design(design: Design, mutant: Mutant, dest: str | Path) -> Design:
    """Write the mutant as a design directory ``dest`` (an ``sctb.toml``) and load it.

    The mutated file is copied into ``dest`` with the mutation applied; every other file stays
    where it is (named by absolute path). The original file's directory is added to the include
    directories, so that a relative ```include`` still resolves.
    """
    dest = Path(dest).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    mutated = dest / mutant.file.name
    mutated.write_text(mutant.apply(mutant.file.read_text()))
    files = [mutated if f == mutant.file else f for f in design.files]
    incdirs = [*design.include_dirs, mutant.file.parent]

    def q(p) -> str:
        return '"' + str(p).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["# A mutant written by sctb mutate: " + mutant.describe().replace("\n", " "),
             "[design]", f"name = {q(design.name + '~' + mutant.id)}",
             f"files = [{', '.join(q(f) for f in files)}]",
             f"include_dirs = [{', '.join(q(d) for d in incdirs)}]",
             f"waivers = [{', '.join(q(w) for w in design.waivers)}]",
             f"simulators = [{', '.join(q(s) for s in design.simulators)}]"]
    if design.defines:
        lines.append("[design.defines]")
        lines += [f"{k} = {q(v)}" for k, v in design.defines.items()]
    (dest / "sctb.toml").write_text("\n".join(lines) + "\n")
    return load_design(dest)
