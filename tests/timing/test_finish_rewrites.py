"""Finishing a chunk of events: the fall-back rewrite and the clock offsets as column expressions.

Both were joins, which gathered every column of every event to add one; these tests hold the
expressions to the joins they replaced (kept here as the reference), on generated chunks where
one file's content sits at two paths (same ``event.id`` at both, decided at one only), and
check that a chunk the store says has no ``time.earliest`` value finishes to the same rows
without the rewrite.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.schema import EVENT_SCHEMA, conform
from forensics.time import dst, skew
from forensics.time.second_pass import TimeOutcome, finalize

T0 = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
PATHS = ["a/access.log", "b/access.log", "copy/of/a/access.log"]


def _reference_dst(df: pl.DataFrame, verdicts: pl.DataFrame) -> pl.DataFrame:
    """The join this module's rewrite replaced (same columns, same order)."""
    decided = verdicts.filter(pl.col("_late_pass").is_not_null()).select("log.file.path", "event.id", "_late_pass")
    if decided.height == 0:
        return df
    hit = pl.col("_late_pass").is_not_null()
    return (
        df.join(decided, on=["log.file.path", "event.id"], how="left", maintain_order="left")
        .with_columns(
            pl.when(hit)
            .then(pl.when(pl.col("_late_pass")).then(pl.col("time.latest")).otherwise(pl.col("time.earliest")))
            .otherwise(pl.col("time.recorded"))
            .alias("time.recorded"),
            pl.when(hit)
            .then(
                pl.col("time.flags").list.eval(
                    pl.when(pl.element() == "dst_ambiguous")
                    .then(pl.lit("dst_ambiguous_resolved"))
                    .otherwise(pl.element())
                )
            )
            .otherwise(pl.col("time.flags"))
            .alias("time.flags"),
            pl.when(hit).then(None).otherwise(pl.col("time.earliest")).alias("time.earliest"),
            pl.when(hit).then(None).otherwise(pl.col("time.latest")).alias("time.latest"),
        )
        .drop("_late_pass")
    )


def _reference_skew(df: pl.DataFrame, skews: dict[str, float]) -> pl.DataFrame:
    shift = pl.duration(microseconds=(pl.col("_skew").fill_null(0) * 1e6).round().cast(pl.Int64))
    table = pl.DataFrame(
        {"log.source": list(skews), "_skew": list(skews.values())},
        schema={"log.source": pl.String, "_skew": pl.Float64},
    )
    return (
        df.join(table, on="log.source", how="left", maintain_order="left")
        .with_columns(
            (pl.col("time.recorded") - shift).alias("@timestamp"),
            (pl.col("time.earliest") - shift).alias("time.earliest"),
            (pl.col("time.latest") - shift).alias("time.latest"),
            pl.col("_skew").alias("time.skew"),
            pl.when(pl.col("_skew").is_not_null() & (pl.col("_skew") != 0))
            .then(pl.concat_list([pl.col("time.flags"), pl.lit(["skew_corrected"])]))
            .otherwise(pl.col("time.flags"))
            .alias("time.flags"),
        )
        .drop("_skew")
    )


@st.composite
def chunks(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Events of up to three files (the third a copy of the first: same ids), some ambiguous,
    and verdicts that decide some of the ambiguous rows of some paths."""
    n = draw(st.integers(0, 40))
    rows = []
    seen = dict.fromkeys(PATHS, 0)
    for i in range(n):
        path = draw(st.sampled_from(PATHS))
        # an id is unique within its file; the copy's k-th record has the first file's k-th id
        offset = seen[path] * 100
        seen[path] += 1
        ambiguous = draw(st.booleans())
        rec = T0 + timedelta(seconds=draw(st.integers(0, 7200)))
        rows.append(
            {
                "log.file.path": path,
                "log.source": None if draw(st.integers(0, 5)) == 0 else path.split("/")[0],
                "event.id": f"{'aaaa' if path != 'b/access.log' else 'bbbb'}:{offset}:0",
                "log.file.line": i + 1,
                "time.recorded": None if ambiguous else rec,
                "time.earliest": rec if ambiguous else None,
                "time.latest": rec + timedelta(hours=1) if ambiguous else None,
                "time.flags": ["dst_ambiguous"] if ambiguous else draw(st.sampled_from([[], ["naive_local"]])),
                "timestamp_desc": "request_received",
            }
        )
    df = conform(pl.DataFrame(rows, schema={k: EVENT_SCHEMA[k] for k in (rows[0] if rows else EVENT_SCHEMA.names())}))
    assert isinstance(df, pl.DataFrame)
    amb = (
        df.filter(pl.col("time.earliest").is_not_null()).select("log.file.path", "event.id").unique(maintain_order=True)
    )
    picks = [draw(st.sampled_from([None, True, False, "skip"])) for _ in range(amb.height)]
    kept = [(p, i, v) for (p, i), v in zip(amb.iter_rows(), picks, strict=True) if v != "skip"]
    verdicts = pl.DataFrame(
        {"log.file.path": [k[0] for k in kept], "event.id": [k[1] for k in kept], "_late_pass": [k[2] for k in kept]},
        schema={"log.file.path": pl.String, "event.id": pl.String, "_late_pass": pl.Boolean},
    )
    return df, verdicts


@settings(max_examples=150, deadline=None)
@given(chunks())
def test_the_fall_back_rewrite_equals_the_join(case: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    df, verdicts = case
    expected = _reference_dst(df, verdicts)
    assert dst.apply_dst(df, verdicts).equals(expected)
    out = dst.apply_dst(df.lazy(), verdicts)
    assert isinstance(out, pl.LazyFrame)
    assert out.collect().equals(expected)


@settings(max_examples=100, deadline=None)
@given(chunks(), st.dictionaries(st.sampled_from(["a", "b", "copy", "other"]), st.floats(-9.5, 9.5), max_size=4))
def test_the_clock_offsets_equal_the_join(case: tuple[pl.DataFrame, pl.DataFrame], skews: dict[str, float]) -> None:
    df, _ = case
    out = skew.apply_skew(df.lazy(), skews).collect()
    assert out.equals(_reference_skew(df, skews) if skews else out)
    if skews:
        assert out.columns == df.columns


@settings(max_examples=100, deadline=None)
@given(chunks())
def test_a_chunk_without_an_undecided_reading_finishes_the_same_without_the_rewrite(
    case: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    """What the store tells ``finalize`` (the columns holding a value) only skips work."""
    df, verdicts = case
    plain = df.filter(pl.col("time.earliest").is_null())
    outcome = TimeOutcome(verdicts, {"a": 1.5}, {}, {}, [])
    filled = frozenset(c for c in plain.columns if plain.get_column(c).null_count() < plain.height)
    assert "time.earliest" not in filled
    told = finalize(plain.lazy(), outcome, filled).collect()
    assert told.equals(finalize(plain.lazy(), outcome).collect())
    # and a chunk that holds one is rewritten whatever else it holds
    whole = frozenset(df.columns)
    assert finalize(df.lazy(), outcome, whole).collect().equals(finalize(df.lazy(), outcome).collect())
