"""The memory savings of issue 10 keep the results exact (docs/PERFORMANCE.md): the chunked
UTF-8 check, hash-based uniqueness, and GX never passing a rule it could not evaluate."""

from __future__ import annotations

import polars as pl
import pytest
from conftest import dataset

from expectations import suites
from pipelines.raw import _is_utf8, read_all


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1 << 24])
def test_utf8_check_in_pieces_handles_characters_split_between_pieces(step):
    text = "職員,髙橋①,café\n".encode() * 5
    assert _is_utf8(text, step=step)
    assert not _is_utf8(text + "髙".encode("cp932"), step=step)
    assert not _is_utf8(text[:-2] + "あ".encode()[:2], step=step)  # cut inside a character


def test_uniqueness_is_exact_when_hashes_collide(monkeypatch):
    frame = pl.DataFrame({"fy": [2020, 2020, 2021, 2020, None],
                          "id": ["E1", "E2", "E1", "E1", "E3"]})
    expected = [True, False, False, True, False]
    assert suites._duplicated(frame, ["fy", "id"]).to_list() == expected
    # every row the same hash: the candidates are all rows, the exact comparison decides
    monkeypatch.setattr(pl.DataFrame, "hash_rows",
                        lambda self, *a, **k: pl.Series([7] * self.height, dtype=pl.UInt64))
    assert suites._duplicated(frame, ["fy", "id"]).to_list() == expected
    assert suites._duplicated(frame, ["id"]).to_list() == [True, False, True, True, False]


def test_a_rule_gx_cannot_evaluate_is_an_error_not_a_pass(tmp_path, monkeypatch):
    """Arrow string views make GX's row-index lists fail (the reason identifiers go to GX as
    large_string): such a failure must stop the build, never count as 'rule passed'."""
    data = dataset.base()
    data["roster"][1]["grade"] = ""
    files = read_all(dataset.write(data, tmp_path / "raw"))
    real = suites._to_pandas

    def with_string_views(frame, columns):  # noqa: ANN001, ANN202
        import pandas as pd

        pdf = real(frame, columns)
        for c in pdf.columns:
            if c in suites._IDS:
                pdf[c] = pd.arrays.ArrowExtensionArray(
                    frame[c].to_arrow(compat_level=pl.CompatLevel.newest()))
        return pdf

    monkeypatch.setattr(suites, "_to_pandas", with_string_views)
    with pytest.raises(RuntimeError, match="GX could not check"):
        suites.validate(files)
