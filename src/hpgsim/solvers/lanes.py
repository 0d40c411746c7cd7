"""Lane versions of the physiology's core functions: one call advances a block of men at once.

The compiled engine runs a cohort in blocks of ``L`` men ("lanes") so that the processor's vector
units (4 to 8 doubles per instruction) work on several men together.  The physiology is written
once, as scalar code for one man (:func:`hpgsim.physiology.model.rhs_core` and
``observables_core``); this module derives the block version from that source, so the two can
never disagree:

1. the core functions that read the state, constants or drug effects are inlined (their locals
   renamed), giving one flat body of assignments and fixed-length loops;
2. every array read or write ``y[S.t]`` becomes ``y[S.t, l]`` (arrays of shape (rows, L));
3. the body is cut into runs of statements, each run wrapped in ``for l in range(L)``: statements
   that call a transcendental or a branching helper (``cos``, ``log1p``, powers, Hill terms) form
   runs of their own, the others long branch-free runs that the compiler vectorises over men.
   A value that one run computes and a later run reads passes through a scratch row ``tmp[j, l]``.

The generated source is plain Python (``lane_source``) compiled with numba by the kernel.
"""

from __future__ import annotations

import ast
import copy
import inspect
import itertools

from hpgsim.physiology import model as phys

__all__ = ["lane_source"]

# core functions inlined (they read the state, constants or drug effects)
INLINE = ("_signals_core", "_generator_core", "_pulse_mass_core", "_frequency_core", "_support_core")
# calls that keep a run from being vectorised (transcendentals, helpers with branches on the exponent)
HEAVY_CALLS = {"cos", "sin", "tan", "exp", "expm1", "log", "log1p", "power", "tanh", "arctan", "_pow", "_hill_kn", "_hill_core"}


def _fn_ast(name: str) -> ast.FunctionDef:
    fn = getattr(phys, name)
    node = ast.parse(inspect.getsource(fn)).body[0]
    assert isinstance(node, ast.FunctionDef)
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # docstring
    node.body = body
    return node


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping):
        self.mapping = mapping

    def visit_Name(self, node):
        if node.id in self.mapping:
            new = self.mapping[node.id]
            return copy.deepcopy(new) if isinstance(new, ast.AST) else ast.copy_location(ast.Name(new, node.ctx), node)
        return node


def _assigned(stmts) -> set[str]:
    out = set()
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                out.add(n.id)
    return out


class _Flatten:
    """Inline the INLINE calls of a function body (recursively), hoisting their statements."""

    def __init__(self):
        self.counter = itertools.count()

    def inline(self, name: str, args: list[ast.expr]) -> tuple[list[ast.stmt], ast.expr]:
        fn = _fn_ast(name)
        params = [a.arg for a in fn.args.args]
        assert len(args) == len(params), name
        tag = f"_{name.strip('_').split('_')[0]}{next(self.counter)}_"
        mapping: dict[str, object] = {}
        pre: list[ast.stmt] = []
        for p, a in zip(params, args):
            if isinstance(a, (ast.Name, ast.Constant)):
                mapping[p] = a  # arrays and plain names pass through
            else:
                mapping[p] = tag + p
                pre.append(ast.Assign(targets=[ast.Name(tag + p, ast.Store())], value=a, lineno=0))
        for local in _assigned(fn.body):
            mapping[local] = tag + local
        *stmts, ret = fn.body
        assert isinstance(ret, ast.Return), f"{name} must end with its only return"
        stmts = [_Rename(mapping).visit(copy.deepcopy(s)) for s in stmts]
        value = _Rename(mapping).visit(copy.deepcopy(ret.value))
        body = self.body(stmts)
        more, value = self.expr(value)
        return pre + body + more, value

    def expr(self, node: ast.expr) -> tuple[list[ast.stmt], ast.expr]:
        pre: list[ast.stmt] = []

        class T(ast.NodeTransformer):
            def visit_Call(inner, call):
                inner.generic_visit(call)
                if isinstance(call.func, ast.Name) and call.func.id in INLINE:
                    stmts, value = self.inline(call.func.id, call.args)
                    pre.extend(stmts)
                    return value
                return call

        node = T().visit(node)
        return pre, node

    def body(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in stmts:
            if isinstance(s, ast.Assign):
                pre, value = self.expr(s.value)
                out.extend(pre)
                if len(s.targets) == 1 and isinstance(s.targets[0], ast.Tuple) and isinstance(value, ast.Tuple):
                    for t, v in zip(s.targets[0].elts, value.elts):  # a, b = (x, y): one assignment each
                        out.append(ast.Assign(targets=[t], value=v, lineno=0))
                else:
                    out.append(ast.Assign(targets=s.targets, value=value, lineno=0))
            elif isinstance(s, ast.For):
                # loops over a fixed range (the germ-cell chain) are unrolled: the lane loops around
                # them are then straight-line code that the compiler vectorises
                assert isinstance(s.iter, ast.Call) and s.iter.func.id == "range", "only range loops"
                assert isinstance(s.target, ast.Name)
                bounds = [eval(compile(ast.Expression(a), "<range>", "eval"), vars(phys)) for a in s.iter.args]
                for v in range(*bounds):
                    out.extend(self.body([_Rename({s.target.id: ast.Constant(v)}).visit(copy.deepcopy(b)) for b in s.body]))
            elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
                continue
            else:
                raise TypeError(f"unsupported statement in a core function: {ast.unparse(s)}")
        return out


def _cell(row: int, stride: int) -> ast.expr:
    """``uint64(row * stride) + l``: lane ``l`` (unsigned) of a row of the flat work array.

    Unsigned indices spare numba's wraparound of negative ones, whose select keeps the compiler
    from vectorising the lane loops.
    """
    return ast.parse(f"np.uint64({row * stride}) + l", mode="eval").body


class _Lane(ast.NodeTransformer):
    """``arr[i]`` -> ``W[(base + i) * stride + l]`` for the block arrays (rows of the one work array)."""

    def __init__(self, base: dict[str, int], stride: int):
        self.base, self.stride = base, stride

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if isinstance(node.value, ast.Name) and node.value.id in self.base:
            index = eval(compile(ast.fix_missing_locations(ast.Expression(node.slice)), "<index>", "eval"), vars(phys))  # S.t, K.x
            row = self.base[node.value.id] + int(index)
            node.value = ast.Name("W", ast.Load())
            node.slice = _cell(row, self.stride)
        return node


def _heavy(stmt: ast.stmt) -> bool:
    for n in ast.walk(stmt):
        if isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in HEAVY_CALLS:
                return True
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) and not isinstance(n.right, ast.Constant):
            return True
    return False


def _used(stmts) -> set[str]:
    return {n.id for s in stmts for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def lane_source(name: str, new_name: str, base: dict[str, int], tmp_row: int, stride: int) -> tuple[str, int]:
    """Source of the block version of core function ``name`` and the number of scratch rows it needs.

    The block version takes the scalar function's non-array parameters, ``W`` and ``n``: ``W`` is
    one flat work array of rows of ``stride`` lanes, of which the first ``n`` are used; array
    parameter ``a`` of the scalar function is rows ``base[a]`` onwards, the scratch rows start at
    ``tmp_row``.  One array with constant row offsets lets the compiler see that no two rows
    overlap (separate arrays might alias), and a loop bound known only at run time keeps each
    run a loop, which it vectorises, instead of unrolling it.
    """
    fn = _fn_ast(name)
    params = [a.arg for a in fn.args.args]
    scalars = [p for p in params if p not in base]
    flat = _Flatten().body(fn.body)
    runs: list[list[ast.stmt]] = []
    kinds: list[bool] = []
    for s in flat:
        h = _heavy(s)
        if runs and kinds[-1] == h:
            runs[-1].append(s)
        else:
            runs.append([s])
            kinds.append(h)
    local = set().union(*(_assigned(r) for r in runs)) - set(params)
    defs = [_assigned(r) & local for r in runs]
    uses = [_used(r) & local for r in runs]
    crossing = sorted({v for i, d in enumerate(defs) for v in d if any(v in u for u in uses[i + 1:])})
    row = {v: tmp_row + j for j, v in enumerate(crossing)}
    lines = [f"def {new_name}({', '.join([*scalars, 'W', 'n'])}):"]
    for i, r in enumerate(runs):
        lines.append("    for j in range(n):")
        lines.append("        l = np.uint64(j)")
        earlier = set().union(*defs[:i]) if i else set()
        for v in sorted(uses[i] & earlier & set(row)):
            lines.append(f"        {v} = W[np.uint64({row[v] * stride}) + l]")
        for s in r:
            src = ast.unparse(ast.fix_missing_locations(_Lane(base, stride).visit(copy.deepcopy(s))))
            lines.extend("        " + ln for ln in src.splitlines())
        for v in sorted(defs[i] & set(row)):
            if any(v in u for u in uses[i + 1:]):
                lines.append(f"        W[np.uint64({row[v] * stride}) + l] = {v}")
    return "\n".join(lines) + "\n", len(crossing)
