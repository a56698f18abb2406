"""Many fields of JSON lines, each line parsed a few times instead of once per field.

``str.json_path_match`` parses the whole line for every path asked: twenty-five fields of a
PostgreSQL jsonlog line meant twenty-five parses of it.  ``json_fields`` gives, for every
path, exactly the text ``json_path_match`` gives (the tests compare the two on hostile
lines), with the line read three times whatever the number of fields:

1. ``json_path_match("$")`` re-encodes each valid line compactly (the last of duplicate keys
   kept, numbers written one way); an invalid line gives null, and so does every path of it;
2. one regex on that text finds the rows where an asked field holds an object, an array or a
   number with a fraction or an exponent (``json_decode`` would refuse the first two and
   write the third another way): those rows, rare in logs, take ``json_path_match`` per path;
3. one ``str.json_decode`` of the re-encoded text gives every top-level field of the others.

Paths of several keys (``client.ip``) are read the same way from the text of their first
key's value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import polars as pl

Path = tuple[str, ...]
S = pl.String


def path_text(path: Sequence[str]) -> str:
    """``("client", "ip")`` -> ``$['client']['ip']`` (bracket form, so keys may hold spaces)."""
    if any("'" in p or "\\" in p for p in path):
        return "$." + ".".join(path)
    return "$" + "".join(f"['{p}']" for p in path)


def _plain(key: str) -> bool:
    """A key of letters, digits, ``_``, ``-``, ``@`` and spaces: written as itself in JSON and in a path."""
    return re.fullmatch(r"[\w\-@ ]+", key) is not None


def json_fields(
    df: pl.DataFrame, column: str, paths: Mapping[str, Sequence[str]], canonical: str | None = None
) -> pl.DataFrame:
    """``df`` with one String column per ``paths`` item: ``column``'s value at that path.

    Each new column equals ``pl.col(column).str.json_path_match(path_text(path))``.
    ``canonical`` names a column of ``df`` already holding ``json_path_match("$")`` of
    ``column`` (a parser that checked the lines with it): it is not computed again.
    """
    if not paths or df.height == 0:
        return df.with_columns([pl.lit(None, dtype=pl.String).alias(name) for name in paths])
    wanted = {name: tuple(path) for name, path in paths.items()}
    if any(not path or not all(_plain(k) for k in path) for path in wanted.values()):
        return _slow(df, column, wanted)
    canon = pl.col(canonical) if canonical is not None else pl.col(column).str.json_path_match("$")
    work = df.select(pl.col(column).alias("_jf_orig"), canon.alias("_jf_canon")).with_row_index("_jf_pos")
    valid = work.filter(pl.col("_jf_canon").is_not_null())
    tree = _tree(wanted.values())
    out = _read(valid, "_jf_canon", (), wanted) if tree is None else _read_tree(valid, tree, wanted)
    filled = work.select("_jf_pos").join(out, on="_jf_pos", how="left", maintain_order="left")
    return df.with_columns([filled.get_column(name).alias(name) for name in wanted])


def _slow(df: pl.DataFrame, column: str, paths: Mapping[str, Path]) -> pl.DataFrame:
    return df.with_columns(
        [pl.col(column).str.json_path_match(path_text(path)).alias(name) for name, path in paths.items()]
    )


#: the paths as nested keys: a key maps to the keys under it, or to None for a path's last key
Tree = dict[str, "Tree | None"]


def _tree(paths: Iterable[Path]) -> Tree | None:
    """The paths as one tree of keys, or None when a path is a prefix of another (a key both read and entered)."""
    tree: Tree = {}
    for path in paths:
        node = tree
        for depth, key in enumerate(path):
            last = depth == len(path) - 1
            if key not in node:
                node[key] = None if last else {}
            child = node[key]
            if last and child is not None and child:
                return None
            if not last:
                if child is None:
                    return None
                node = child
    return tree


def _dtype(tree: Tree) -> pl.Struct:
    return pl.Struct({key: S if sub is None else _dtype(sub) for key, sub in tree.items()})


def _roles(tree: Tree, leaves: set[str], objects: set[str]) -> None:
    for key, sub in tree.items():
        if sub is None:
            leaves.add(key)
        else:
            objects.add(key)
            _roles(sub, leaves, objects)


def _read_tree(canon: pl.DataFrame, tree: Tree, paths: Mapping[str, Path]) -> pl.DataFrame:
    """``_jf_pos`` and every path of ``canon`` (compact JSON in ``_jf_canon``), nested paths included, in one decode.

    One ``str.json_decode`` of the compact text with the paths as nested String fields
    reads every row where each asked key holds what the decoder writes as
    ``json_path_match`` does: a string, an integer, a boolean or null for a last key, an
    object or null for a key with keys under it.  One regex finds the other rows (an asked
    key, at any depth, followed by an object, an array or a number with a fraction or an
    exponent where a value is read; by anything but an object or null where keys are
    entered); they take ``json_path_match`` per path on the original line.
    """
    leaves: set[str] = set()
    objects: set[str] = set()
    _roles(tree, leaves, objects)
    text = pl.col("_jf_canon")

    def keys(names: set[str]) -> str:
        return "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))

    awkward = []
    if leaves:
        awkward.append(rf'"(?:{keys(leaves)})":(?:[\[{{]|-?\d+[.eE])')
    if objects:
        awkward.append(rf'"(?:{keys(objects)})":[^{{n]')
    hard = ~text.str.starts_with("{") | text.str.contains("|".join(awkward))
    canon = canon.with_columns(_jf_hard=hard)
    easy = canon.filter(~pl.col("_jf_hard"))
    slow = canon.filter(pl.col("_jf_hard"))

    def field(path: Path) -> pl.Expr:
        expr = pl.col("_jf_s")
        for key in path:
            expr = expr.struct.field(key)
        return expr

    decoded = easy.select("_jf_pos", text.str.json_decode(_dtype(tree)).alias("_jf_s"))
    parts = [decoded.select("_jf_pos", *[field(path).alias(name) for name, path in paths.items()])]
    if slow.height:
        parts.append(_slow(slow, "_jf_orig", paths).select("_jf_pos", *paths))
    return pl.concat(parts, how="vertical").sort("_jf_pos") if len(parts) > 1 else parts[0]


def _read(canon: pl.DataFrame, column: str, prefix: Path, paths: Mapping[str, Path]) -> pl.DataFrame:
    """``_jf_pos`` and the fields of ``canon``, whose ``column`` is the compact JSON at ``prefix``.

    The rows the decoder cannot take read the original line (``_jf_orig``), not the compact
    text: a number with an exponent does not always come back the same from a second parse.
    """
    top = {name: path[0] for name, path in paths.items() if len(path) == 1}
    deeper: dict[str, dict[str, Path]] = {}
    for name, path in paths.items():
        if len(path) > 1:
            deeper.setdefault(path[0], {})[name] = path[1:]
    text = pl.col(column)
    keys = sorted(set(top.values()), key=len, reverse=True)
    if keys:
        awkward = rf'"(?:{"|".join(re.escape(k) for k in keys)})":(?:[\[{{]|-?\d+[.eE])'
        hard = ~text.str.starts_with("{") | text.str.contains(awkward)
    else:
        hard = ~text.str.starts_with("{")
    canon = canon.with_columns(_jf_hard=hard)
    easy = canon.filter(~pl.col("_jf_hard"))
    slow = canon.filter(pl.col("_jf_hard"))
    parts = []
    if keys:
        dtype = pl.Struct({k: pl.String for k in keys})
        decoded = easy.select("_jf_pos", text.str.json_decode(dtype).alias("_jf_s")).unnest("_jf_s")
        parts.append(decoded.select("_jf_pos", *[pl.col(k).alias(name) for name, k in top.items()]))
        if slow.height:
            whole = {name: (*prefix, k) for name, k in top.items()}
            parts.append(_slow(slow, "_jf_orig", whole).select("_jf_pos", *top))
        fields = pl.concat(parts, how="vertical").sort("_jf_pos") if len(parts) > 1 else parts[0]
    else:
        fields = canon.select("_jf_pos")
    # deeper paths: read again from the text of their first key (compact JSON, or null)
    for first, rest in deeper.items():
        sub = canon.select("_jf_pos", "_jf_orig", text.str.json_path_match(path_text((first,))).alias("_jf_sub"))
        sub = sub.filter(pl.col("_jf_sub").str.starts_with("{") | pl.col("_jf_sub").str.starts_with("["))
        inner = _read(sub, "_jf_sub", (*prefix, first), rest)
        fields = fields.join(inner, on="_jf_pos", how="left", maintain_order="left")
    return fields
