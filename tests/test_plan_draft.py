"""計画の改定案 / Draft revision page (issue 26; views/plan_draft.py) in AppTest: a planner
picks a plan, edits a target in the table and sees the statuses that would change, the plan in
force per FY, this year's outlook, the chart of current and draft targets; the draft is kept
per user (0600) and opened again in a new session; downloads re-check the right and are
audited; viewers and the public edition do not get the page.

Data: tests/test_plans.py's generations (p1 FY2017-18, p2 FY2020-23, its revision p2r adopted
2021-10-15; as of 2021-07-01, FY2021 in progress).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from conftest import build_from
from streamlit.testing.v1 import AppTest
from test_dashboard import APP, chart, no_exception
from test_plan_review import landing
from test_plans import generations

from dashboard import access, audit, downloads
from pipelines import revision


@pytest.fixture(scope="module")
def gen_wh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_from(generations(), tmp_path_factory.mktemp("draft_page"))


@pytest.fixture
def drafts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "drafts"
    monkeypatch.setenv("DTP_DRAFTS", str(folder))
    return folder


def open_page(wh: Path, monkeypatch: pytest.MonkeyPatch, lang: str = "ja", **params: str
              ) -> AppTest:
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lang": lang, **params})
    at.run()
    at.switch_page("views/plan_draft.py")
    at.run()
    no_exception(at)
    return at


def edit(at: AppTest, rows: dict[int, dict]) -> AppTest:
    """Cell edits of the targets table (row index → {column: value}), as the browser sends."""
    key = at.data_editor[0].key
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    no_exception(at)
    return at


# the page's read-only tables in order: status changes (if any), the other changed rows (if
# any), the plan in force per FY, this year's outlook
FLIPS, IN_FORCE = ("判定(現行 → 改定案)", "Status (current → draft)"), ("現行", "Current")


def table(at: AppTest, headers: tuple[str, ...]):
    """The first read-only table with one of ``headers`` among its columns."""
    for el in at.dataframe:
        if el.editing_mode == "read_only" and set(headers) & set(el.value.columns):
            return el.value
    raise AssertionError(f"no table with {headers}")


def revise_p2(at: AppTest) -> AppTest:
    at.selectbox(key="draft_plan").set_value("p2").run()
    at.date_input(key="draft_adopted_on").set_value(dt.date(2020, 6, 1)).run()
    no_exception(at)
    return at


def test_opens_on_the_plan_in_force(gen_wh, monkeypatch, drafts):
    at = open_page(gen_wh, monkeypatch)
    assert at.selectbox(key="draft_plan").value == "p2r"  # in force for FY2021 (as of)
    assert at.text_input(key="draft_plan_id").value == "p2r-rev1"
    editor = at.data_editor[0].value
    assert editor["metric"].tolist() == ["digital_hires", "security_elearning_rate"]
    assert editor["fy_from"].tolist() == [2021, 2021]
    subheads = [s.value for s in at.header]
    assert "判定が変わる年度・局" in subheads and "年度ごとの計画(現行 → 改定案)" in subheads
    assert not at.error


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_edit_a_target_shows_the_changed_statuses(gen_wh, monkeypatch, drafts, lang):
    """p2 revised from 2020-06-01 (mid-FY2020) with hires 2-4: FY2020's one hire, met under
    1-2, is below; p2r stays in force for FY2021."""
    at = revise_p2(open_page(gen_wh, monkeypatch, lang))
    assert at.data_editor[0].value["metric"].tolist()[0] == "digital_hires"
    edit(at, {0: {"target_min": 2, "target_max": 4}})
    flips = table(at, FLIPS)
    first = flips.iloc[0].tolist()
    if lang == "ja":
        assert first[:5] == ["デジタル人材候補の採用数", "令和2年度 (2020)", "省全体", "1",
                             "✔ 達成 → ▼ 未達"]
        assert first[5] == "1〜2 → 2〜4"
    else:
        assert first[:3] == ["Digital-talent hires", "FY2020", "Ministry-wide"]
        assert first[4] == "✔ met → ▼ below"
    in_force = table(at, IN_FORCE)
    changed = in_force[in_force.iloc[:, 3] == "→"]
    assert len(changed) == 1 and "2020" in changed.iloc[0, 0]
    # the chart: bars judged under the draft, the current target grey, the draft's green
    spec = chart(at, "draft_chart")
    colours = {s.get("fillcolor") for s in spec["layout"]["shapes"] if s["type"] == "rect"
               and s.get("yref", "y") == "y"}
    assert {"#7F7F7F", "#009E73"} <= colours
    # nothing was written to the warehouse
    assert not at.error


def test_invalid_row_is_named(gen_wh, monkeypatch, drafts):
    at = revise_p2(open_page(gen_wh, monkeypatch))
    edit(at, {0: {"target_min": 5, "target_max": 4}})
    assert [e.value for e in at.error] == [
        "この改定案はまだ使えません: 1行目: 下限が上限を超えています。"]
    rate = at.data_editor[0].value["metric"].tolist().index("security_elearning_rate")
    at = edit(at, {0: {"target_min": 2, "target_max": 4}, rate: {"target_min": 95}})
    assert "率です" in at.error[0].value and "95% は 0.95" in at.error[0].value


def test_draft_is_kept_per_user_and_reopened(gen_wh, monkeypatch, drafts):
    at = revise_p2(open_page(gen_wh, monkeypatch))
    edit(at, {0: {"target_min": 2, "target_max": 4}})
    files = list(drafts.iterdir())
    assert len(files) == 1 and oct(files[0].stat().st_mode & 0o777) == "0o600"
    assert oct(drafts.stat().st_mode & 0o777) == "0o700"
    kept = json.loads(files[0].read_text("utf-8"))
    assert kept["user"] == "local" and kept["revises"] == "p2"
    assert kept["targets"][0]["target_min"] == 2
    # a new session (the planner comes back): the same draft
    again = open_page(gen_wh, monkeypatch)
    assert again.selectbox(key="draft_plan").value == "p2"
    assert again.date_input(key="draft_adopted_on").value == dt.date(2020, 6, 1)
    assert again.data_editor[0].value["target_min"].tolist()[0] == 2
    assert "令和2年度 (2020)" in table(again, FLIPS).iloc[:, 1].tolist()
    assert [f.name for f in drafts.iterdir()] == [files[0].name]  # still kept
    # discard: back to the plan in force
    again.button(key="draft_discard").click().run()
    no_exception(again)
    assert not list(drafts.iterdir())
    assert again.data_editor[0].value["target_min"].tolist()[0] == 1  # p2's own 1-2


def test_link_names_the_plan(gen_wh, monkeypatch, drafts):
    at = landing(gen_wh, monkeypatch, "draft", plan="p1")
    no_exception(at)
    assert at.selectbox(key="draft_plan").value == "p1"
    assert at.query_params.get("plan") == "p1"


def test_who_gets_the_page():
    viewer = access.Principal("v@x", ("viewer",))
    planner = access.Principal("p@x", ("viewer", "planner"))
    assert not access.can_page(viewer, "draft") and not access.may_draft(viewer)
    assert access.can_page(planner, "draft") and access.may_draft(planner)
    assert not access.can_page(access.PUBLIC, "draft")
    assert not access.can_page(access.Principal("p@x", ("viewer", "planner"), "rollup"),
                               "draft")


def test_download_rechecked_and_audited(gen_wh, tmp_path, monkeypatch):
    log = tmp_path / "audit.jsonl"
    monkeypatch.setenv("DTP_AUDIT_LOG", str(log))
    from release.connection import connect

    con = connect(str(gen_wh))
    try:
        imp = revision.compute(con, revision.Draft(
            "p2", "q", dt.date(2020, 6, 1), "案", "Draft",
            (revision.parse_target("digital_hires:2020-2023:range:2:4"),)))
    finally:
        con.close()
    make = downloads.draft_csv(imp.files.targets, access.LOCAL, name="plan_targets",
                               revises="p2", plan_id="q", run_id="r")
    data = make().decode("utf-8")
    assert data.splitlines()[0] == ",".join(revision.TARGET_COLUMNS)
    assert "q,digital_hires,2020,2023,range,2.0,4.0,§2,," in data
    frame, bad = audit.read(log)
    line = frame.row(-1, named=True)
    assert (line["event"], line["page"], line["dataset"], bad) == (
        "download", "draft", "draft_plan_targets", 0)
    # a principal who lost the right gets nothing, and a denied line
    monkeypatch.setenv("DTP_EDITION", "public")
    with pytest.raises(access.AccessDenied):
        downloads.draft_csv(imp.files.plans, access.LOCAL, name="plans", revises="p2",
                            plan_id="q", run_id="r")()
    assert audit.read(log)[0].row(-1, named=True)["event"] == "denied"
    assert os.environ["DTP_EDITION"] == "public"


def test_bureau_filter_shows_the_bureaus_rows(gen_wh, monkeypatch, drafts):
    """?bureau=B1: the status changes of B1's rows only (a rate's target applies to bureaus)."""
    at = revise_p2(open_page(gen_wh, monkeypatch, bureau="B1"))
    rate = at.data_editor[0].value["metric"].tolist().index("security_elearning_rate")
    edit(at, {rate: {"target_min": 0.5}})
    flips = table(at, FLIPS)
    assert flips.iloc[:, 2].tolist() == ["第一局"]
    assert flips.iloc[0, 4] == "▼ 未達 → ✔ 達成"
    line = "情報セキュリティ教育(e-learning)受講率・令和2年度 (2020)・第一局: ▼ 未達 → ✔ 達成"
    assert any(line in m.value.replace("\\", "") for m in at.markdown)  # (escaped source)


def test_hostile_link_and_title(gen_wh, monkeypatch, drafts):
    """A link's unknown plan is ignored with the notice (the plan in force is shown); a title
    with Markdown and HTML goes into the files as typed and is drawn as plain text."""
    at = landing(gen_wh, monkeypatch, "draft", plan="<script>alert(1)</script>")
    no_exception(at)
    assert at.selectbox(key="draft_plan").value == "p2r"
    at.text_input(key="draft_title_ja").input("**太字** <img src=x onerror=alert(1)>").run()
    no_exception(at)
    spec = chart(at, "draft_chart")
    texts = [a.get("text", "") for a in spec["layout"]["annotations"]]
    assert not any("<img" in t for t in texts)
    assert not at.error


def test_a_draft_that_went_live_is_not_reopened(gen_wh, monkeypatch, drafts):
    """A kept draft whose revision ID is now a live plan (it was approved) is discarded."""
    revision.save_draft(drafts, "local", revision.draft_json(revision.Draft(
        "p2", "p2r", dt.date(2021, 10, 15), "案", "Draft")))
    at = open_page(gen_wh, monkeypatch)
    assert at.selectbox(key="draft_plan").value == "p2r"
    assert at.text_input(key="draft_plan_id").value == "p2r-rev1"
    assert not at.error and not list(drafts.iterdir())


def test_no_plans(tmp_path, monkeypatch, drafts):
    from conftest import dataset

    data = dataset.base()
    data["plan_targets"] = []
    at = open_page(build_from(data, tmp_path), monkeypatch)
    assert [i.value for i in at.info] == ["改定できる計画がありません(目標が登録されていません)。"]
