"""The executive digest (issue 25): ``python -m dashboard digest`` against a real SMTP server on
a loopback port (aiosmtpd), the subscriptions file, the digest state, and a held-out check
that a mail carries publication-form figures only."""

from __future__ import annotations

import email
import json
import re
import socket
from email import policy
from pathlib import Path

import pytest
from conftest import build_from, dataset

from dashboard import __main__ as cli
from dashboard import audit, digest, fmt, mail, subscriptions
from pipelines.schema import METRIC_BY_CODE
from release import disclosure, i18n
from release.disclosure import SUPPRESSED

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

ROOT = Path(__file__).resolve().parents[1]


# --- a real SMTP server on loopback ------------------------------------------------------------

class Inbox:
    """aiosmtpd handler: keeps every message; ``refuse`` maps an address to the reply its RCPT
    gets (e.g. "550 …" or "451 …"), counting the attempts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse: dict[str, str] = {}
        self.attempts: dict[str, int] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.attempts[address] = self.attempts.get(address, 0) + 1
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content
                              or envelope.content))
        return "250 Message accepted for delivery"

    def parsed(self) -> dict[str, email.message.EmailMessage]:
        return {to[0]: email.message_from_bytes(raw, policy=policy.default)
                for to, raw in self.messages}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp():
    inbox = Inbox()
    ctl = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=_free_port())
    ctl.start()
    inbox.port = ctl.port
    yield inbox
    ctl.stop()


@pytest.fixture(scope="module")
def sample_wh(tmp_path_factory) -> Path:
    """The shipped sample (FY2026 in progress: key messages; bureaus with withheld cells)."""
    from pipelines.warehouse import build

    wh = tmp_path_factory.mktemp("digest-sample") / "warehouse.duckdb"
    build(ROOT / "data" / "raw", wh)
    return wh


SUBS = """
[[recipient]]
email = "taro.suzuki@example.go.jp"
lang = "ja"
frequency = "on_change"

[[recipient]]
email = "hanako.sato@example.go.jp"
lang = "en"
bureaus = ["ICB"]
frequency = "on_change"

[[recipient]]
email = "jiro.tanaka@example.go.jp"
lang = "ja"
bureaus = ["ICB", "AMB"]
frequency = "monthly"
"""
EMAILS = ("taro.suzuki@example.go.jp", "hanako.sato@example.go.jp", "jiro.tanaka@example.go.jp")


@pytest.fixture()
def env(tmp_path, monkeypatch, smtp):
    """Settings for one test: its own state, audit log and subscriptions; the loopback server."""
    subs = tmp_path / "subscriptions.toml"
    subs.write_text(SUBS, encoding="utf-8")
    for k, v in {"DTP_SUBSCRIPTIONS": subs, "DTP_DIGEST_STATE": tmp_path / "state.json",
                 "DTP_AUDIT_LOG": tmp_path / "audit.jsonl", "DTP_SMTP_HOST": "127.0.0.1",
                 "DTP_SMTP_PORT": smtp.port, "DTP_SMTP_SECURITY": "none",
                 "DTP_MAIL_FROM": "dtp-digest@example.go.jp",
                 "DTP_PUBLIC_URL": "https://dtp.example.go.jp/dashboard"}.items():
        monkeypatch.setenv(k, str(v))
    for k in ("DTP_SMTP_USER", "DTP_SMTP_PASSWORD_FILE", "DTP_EDITION", "DTP_SUPPRESS_BELOW"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setattr(mail, "BACKOFF", 0.01)
    return tmp_path


def _run(*args: str) -> int:
    return cli.main(["digest", *args])


def _mails(inbox: Inbox) -> dict[str, email.message.EmailMessage]:
    return inbox.parsed()


def _text(msg: email.message.EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()


def _html(msg: email.message.EmailMessage) -> str:
    return msg.get_body(("html",)).get_content()


def _audit_mails(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()
            if json.loads(x)["event"] == "mail"]


# --- the subscriptions file --------------------------------------------------------------------

@pytest.mark.parametrize("text, says", [
    ('[[recipient]]\nemail = "a@example.go.jp"\nlang = "ja"\nfrequency = "monthly"\n'
     'colour = "red"\n', "unknown key(s) colour"),
    ('[[recipient]]\nemail = "not-an-address"\nlang = "ja"\nfrequency = "monthly"\n',
     "is not an e-mail address"),
    ('[[recipient]]\nemail = "a@example.go.jp\\r\\nBcc: x@evil.example"\nlang = "ja"\n'
     'frequency = "monthly"\n', "is not an e-mail address"),
    ('[[recipient]]\nemail = "Taro <a@example.go.jp>"\nlang = "ja"\nfrequency = "monthly"\n',
     "is not an e-mail address"),
    ('[[recipient]]\nemail = "a@example.go.jp"\nlang = "fr"\nfrequency = "monthly"\n',
     "lang must be one of ja, en"),
    ('[[recipient]]\nemail = "a@example.go.jp"\nlang = "ja"\nfrequency = "weekly"\n',
     "frequency must be one of on_change, monthly"),
    ('[[recipient]]\nemail = "a@example.go.jp"\nlang = "ja"\n', "missing frequency"),
    ('[[recipient]]\nemail = "a@example.go.jp"\nlang = "ja"\nfrequency = "monthly"\n'
     'bureaus = ["ICB", "x y"]\n', "bureaus must be a non-empty list"),
    ('[[recipient]]\nemail = "a@example.go.jp"\nlang = "ja"\nfrequency = "monthly"\n'
     '[[recipient]]\nemail = "A@Example.go.jp"\nlang = "en"\nfrequency = "monthly"\n',
     "the same address as recipient 1"),
    ('[recipient]\nemail = "a@example.go.jp"\n', "[[recipient]] tables"),
    ('contact = "x@example.go.jp"\n', "unknown key(s) contact"),
    ('[[recipient]\n', "not valid TOML"),
])
def test_invalid_subscriptions_file(text, says):
    with pytest.raises(subscriptions.SubscriptionsError) as e:
        subscriptions.parse(text, "subs.toml")
    assert says in str(e.value) and str(e.value).startswith("subs.toml")


def test_example_file_is_valid():
    rs = subscriptions.load(ROOT / "config" / "subscriptions.example.toml")
    assert [(r.lang, r.bureaus, r.frequency) for r in rs] == [
        ("ja", None, "on_change"), ("en", ("ICB",), "monthly")]


def test_cli_invalid_file_and_unknown_bureau_exit_2(sample_wh, env, smtp, capsys):
    bad = env / "bad.toml"
    bad.write_text('[[recipient]]\nemail = "x"\nlang = "ja"\nfrequency = "monthly"\n',
                   encoding="utf-8")
    assert _run("--warehouse", str(sample_wh), "--subscriptions", str(bad)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.toml: recipient 1: email 'x'" in err
    bad.write_text('[[recipient]]\nemail = "x@example.go.jp"\nlang = "ja"\n'
                   'frequency = "monthly"\nbureaus = ["NOPE"]\n', encoding="utf-8")
    assert _run("--warehouse", str(sample_wh), "--subscriptions", str(bad)) == 2
    assert "unknown bureau code(s) NOPE" in capsys.readouterr().err
    assert smtp.messages == []


def test_cli_bad_settings_exit_2(sample_wh, env, monkeypatch, capsys):
    monkeypatch.setenv("DTP_SMTP_SECURITY", "tls13")
    assert _run("--warehouse", str(sample_wh)) == 2
    assert "DTP_SMTP_SECURITY must be one of starttls, ssl, none" in capsys.readouterr().err
    monkeypatch.setenv("DTP_SMTP_SECURITY", "none")
    monkeypatch.delenv("DTP_MAIL_FROM")
    assert _run("--warehouse", str(sample_wh)) == 2
    assert "DTP_MAIL_FROM is not set" in capsys.readouterr().err


# --- sending -----------------------------------------------------------------------------------

def test_digest_over_smtp_then_a_rerun_sends_nothing_twice(sample_wh, env, smtp, capsys):
    assert _run("--warehouse", str(sample_wh), "--always") == 0
    got = _mails(smtp)
    assert sorted(got) == sorted(EMAILS)
    ja, en, two = (got[e] for e in EMAILS)
    # Japanese subject, encoded (RFC 2047) on the wire, decoded back exactly
    raw = next(r for to, r in smtp.messages if to == [EMAILS[0]])
    assert re.search(rb"^Subject: =\?utf-8\?", raw, re.M | re.I)
    assert ja["Subject"].startswith("【デジタル人材計画】")
    assert en["Subject"].strip().startswith("[Digital Talent Plan]")
    for m in (ja, en, two):
        assert m.get_content_type() == "multipart/alternative"
        assert m["From"] == "dtp-digest@example.go.jp" and m["Message-ID"]
    # the language and the bureau filter: the link, the scope, the key messages' rows
    assert "データ基準日" in _text(ja) and "https://dtp.example.go.jp/dashboard/?lang=ja\n" \
        in _text(ja)
    assert "Data as of" in _text(en)
    assert "https://dtp.example.go.jp/dashboard/?lang=en&bureau=ICB" in _text(en)
    assert "Bureaus: Information and Communications Bureau\n" in _text(en)
    assert "?lang=ja&bureau=ICB,AMB" in _text(two)
    assert 'href="https://dtp.example.go.jp/dashboard/?lang=en&amp;bureau=ICB"' in _html(en)
    # the ministry-wide outlook (publication form) is in the ministry's mail only: the key
    # messages where the pack shows a projection; where it withholds it (issue 23: all of
    # them), the figure so far where the pack shows that, the outlook named as withheld
    rows = _pace_rows(sample_wh, None)
    ministry = digest.messages.key_messages(rows, "ja") + [
        f"- {i18n.metric_name(r['metric'], 'ja')}:今年度これまで"
        f"{fmt.value(r['ytd'], METRIC_BY_CODE[r['metric']].is_rate)}"
        for r in rows if r["pace_status"] == "suppressed" and r["ytd"] == r["ytd"]
        and r["ytd"] is not None and r["target_kind"] is not None]
    assert len(ministry) >= 3 and all(x in _text(ja) for x in ministry), ministry
    assert not any(x in _text(two) for x in ministry)
    assert "ダッシュボードでご確認ください" in _text(ja)
    # audit: one line per mail, with its recipient, version and message id
    lines = _audit_mails(env / "audit.jsonl")
    assert sorted(x["recipient"] for x in lines) == sorted(EMAILS)
    assert {x["recipient"]: x["message_id"] for x in lines} == {
        e: got[e]["Message-ID"] for e in EMAILS}
    assert all(x["user"] == "digest" and x["run_id"] for x in lines)
    state = json.loads((env / "state.json").read_text())
    assert set(state["recipients"]) == set(EMAILS)

    # a rerun: nothing new since → nothing sent, nothing audited
    smtp.messages.clear()
    capsys.readouterr()
    assert _run("--warehouse", str(sample_wh)) == 0
    assert smtp.messages == []
    assert "0 sent" in capsys.readouterr().out
    assert len(_audit_mails(env / "audit.jsonl")) == 3
    # --always again: the monthly recipient had theirs this month
    assert _run("--warehouse", str(sample_wh), "--always") == 0
    assert sorted(to[0] for to, _ in smtp.messages) == sorted(EMAILS[:2])


def test_no_digest_when_nothing_changed(sample_wh, env, smtp, capsys):
    assert _run("--warehouse", str(sample_wh)) == 0
    assert smtp.messages == [] and not (env / "audit.jsonl").exists()
    assert "0 sent" in capsys.readouterr().out


def test_failing_smtp_server(sample_wh, env, smtp, capsys):
    """One recipient refused for good (550: one attempt), one refused for now (451: retried
    with backoff, then reported): exit 1; the third still gets theirs, and only theirs is
    recorded as sent. Once the server takes them, a rerun sends to the two others only."""
    smtp.refuse = {EMAILS[0]: "550 5.1.1 No such user", EMAILS[1]: "451 4.3.0 Try later"}
    assert _run("--warehouse", str(sample_wh), "--always") == 1
    err = capsys.readouterr().err
    assert f"error: {EMAILS[0]}: 550 5.1.1 No such user" in err
    assert f"error: {EMAILS[1]}: 451 4.3.0 Try later" in err
    assert smtp.attempts[EMAILS[0]] == 1 and smtp.attempts[EMAILS[1]] == mail.ATTEMPTS
    assert [to for to, _ in smtp.messages] == [[EMAILS[2]]]
    assert [x["recipient"] for x in _audit_mails(env / "audit.jsonl")] == [EMAILS[2]]
    assert set(json.loads((env / "state.json").read_text())["recipients"]) == {EMAILS[2]}
    smtp.refuse = {}
    assert _run("--warehouse", str(sample_wh), "--always") == 0
    assert sorted(to[0] for to, _ in smtp.messages) == sorted(EMAILS)  # the third once


def test_server_down_and_starttls_refused(sample_wh, env, smtp, monkeypatch, capsys):
    monkeypatch.setenv("DTP_SMTP_SECURITY", "starttls")  # the default: aiosmtpd here has none
    assert _run("--warehouse", str(sample_wh), "--always") == 1
    assert "does not offer STARTTLS" in capsys.readouterr().err
    assert smtp.messages == []
    monkeypatch.setenv("DTP_SMTP_SECURITY", "none")
    monkeypatch.setenv("DTP_SMTP_PORT", str(_free_port()))  # nobody listens
    assert _run("--warehouse", str(sample_wh), "--always") == 1
    assert "ConnectionRefusedError" in capsys.readouterr().err
    assert not (env / "state.json").exists() or json.loads(
        (env / "state.json").read_text())["recipients"] == {}


def test_dry_run_writes_eml_files_and_sends_nothing(sample_wh, env, smtp):
    out = env / "out"
    out.mkdir()
    assert _run("--warehouse", str(sample_wh), "--always", "--dry-run", str(out)) == 0
    files = sorted(out.glob("*.eml"))
    assert len(files) == 3 and smtp.messages == []
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg.get_body(("html",)) is not None
    assert not (env / "state.json").exists()  # a dry run records nothing as sent


# --- publication form: held-out check ----------------------------------------------------------

def _pace_rows(wh: Path, bureau: str | None) -> list[dict]:
    from dashboard import queries
    from release import public

    run = queries.current_run(public.public_path(wh, 5))
    return queries.pace(run, None if bureau is None else (bureau,)).to_dicts()


def _forms(text: str | None, is_rate: bool) -> set[str]:
    """Every way the mail may write a pack figure (value, percentage, p_meet)."""
    if text in (None, "", SUPPRESSED):
        return set()
    x = float(text)
    out = {fmt.value(x, is_rate), fmt.value(x, False), f"{x * 100:.0f}%"}
    if is_rate:
        out.add(fmt.value(x, True, 0))
    return out


def _strip_fy(line: str, lang: str) -> str:
    """The line without its FY labels (令和7年度 (2025), FY2025)."""
    for fy in range(2040, 2009, -1):
        for p in (True, False):
            line = line.replace(fmt.fy_label(fy, lang, p), "")
    return line


NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?%?")


def _numbers(text: str) -> list[str]:
    return NUMBER.findall(text)


def test_every_number_in_a_mail_is_a_publication_figure(sample_wh, env, smtp):
    """Held-out style: the allowed numbers are made here from the publication pack alone
    (``disclosure.release``: the pack's cells), independently of the digest's code. Every
    number in every mail body (both parts, both languages, ministry and bureaus) is one of
    them or a date / FY / the threshold; each key-message line's numbers are its own metric's
    pack row's; a metric whose outlook the pack withholds has no key message, only the
    withheld note."""
    rel = disclosure.release(sample_wh, 5)
    kpi, pace = rel.tables["kpi"], rel.tables["kpi_pace"]
    allowed: set[str] = set()
    per_metric: dict[tuple, set[str]] = {}
    for r in kpi.iter_rows(named=True):
        rate = METRIC_BY_CODE[r["metric"]].is_rate
        for c in ("value", "target_min", "target_max"):
            v = r[c] if isinstance(r[c], str) or r[c] is None else str(r[c])
            allowed |= _forms(v, rate)
    for r in pace.iter_rows(named=True):
        rate = METRIC_BY_CODE[r["metric"]].is_rate
        key = (r["metric"], r["bureau_code"])
        forms: set[str] = set()
        for c in ("ytd", "projected", "projected_low", "projected_high", "p_meet", "needed"):
            forms |= _forms(r[c], rate if c != "p_meet" else False)
        target = kpi.filter((kpi["metric"] == r["metric"]) & (kpi["fiscal_year"] == r[
            "fiscal_year"]))
        for t in target.iter_rows(named=True):
            for c in ("target_min", "target_max"):
                forms |= _forms(None if t[c] is None else str(t[c]), rate)
        per_metric[key] = forms
        allowed |= forms
    as_of = rel.as_of_date
    fixed = {str(as_of.year), str(as_of.month), str(as_of.day), f"{as_of.year:04d}",
             f"{as_of.month:02d}", f"{as_of.day:02d}", "90", "90%", "5", "4", "1",
             "8"}  # 90 % interval; threshold 5, cells 1–4; 令和8年度 (FY2026)
    fy_words = {str(fy) for fy in range(2015, 2031)} | {str(n) for n in range(1, 13)}

    out = env / "out"
    out.mkdir()
    assert _run("--warehouse", str(sample_wh), "--always", "--dry-run", str(out)) == 0
    names = {m.code: (m.ja, m.en) for m in METRIC_BY_CODE.values()}
    checked_lines = 0
    for f in sorted(out.glob("*.eml")):
        msg = email.message_from_bytes(f.read_bytes(), policy=policy.default)
        lang = msg["Content-Language"]
        bureaus = re.search(r"bureau=([A-Z,]+)", _text(msg))
        scope = bureaus.group(1).split(",") if bureaus else [None]
        for part in (_text(msg), re.sub(r"<[^>]+>", " ", _html(msg))):
            body = part.replace("https://dtp.example.go.jp/dashboard/", "")
            for n in _numbers(body):
                assert n in allowed | fixed | fy_words, (f.name, n)
            for line in body.splitlines():
                hit = [c for c, nm in names.items() if nm[lang == "en"] in line]
                if len(hit) != 1 or i18n.t("msg_none", lang) in line:
                    continue
                note = i18n.t("digest_withheld", lang, c=SUPPRESSED,
                              metrics="\0").split("\0")[0]
                if note in line:  # the withheld note lists metrics, holds no figure
                    assert not [n for n in _numbers(line) if n not in fixed], line
                    continue
                (code,) = hit
                own = set().union(*(per_metric.get((code, b), set()) for b in scope))
                for n in _numbers(_strip_fy(line, lang)):
                    assert n in own | {"90", "90%"}, (f.name, code, n, line)
                checked_lines += 1
        # the pack withholds the outlook: no key message for that metric in this scope
        text = _text(msg)
        for r in pace.iter_rows(named=True):
            if r["pace_status"] == SUPPRESSED and r["bureau_code"] in scope:
                name = names[r["metric"]][lang == "en"]
                for line in text.splitlines():
                    if name in line:
                        assert SUPPRESSED in line, (f.name, line)
    assert checked_lines >= 3


def test_data_text_is_escaped_in_html(tmp_path, env, monkeypatch):
    d = dataset.base()
    d["bureaus"][0]["name_en"] = '<img src=x onerror=alert(1)>&"B1'
    wh = build_from(d, tmp_path)
    (env / "subscriptions.toml").write_text(
        '[[recipient]]\nemail = "a@example.go.jp"\nlang = "en"\nbureaus = ["B1"]\n'
        'frequency = "on_change"\n', encoding="utf-8")
    out = env / "out"
    out.mkdir()
    assert _run("--warehouse", str(wh), "--always", "--dry-run", str(out)) == 0
    (f,) = out.glob("*.eml")
    msg = email.message_from_bytes(f.read_bytes(), policy=policy.default)
    html_part = _html(msg)
    assert "<img" not in html_part and "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;B1" \
        in html_part
    assert '<img src=x onerror=alert(1)>&"B1' in _text(msg)


def test_audit_keys():
    assert {"recipient", "version", "message_id"} <= set(audit.KEYS) and "mail" in audit.EVENTS


def test_attached_pdf_is_the_publication_form_pack(sample_wh, env):
    """--pdf: the briefing pack made from the publication form (the public-edition file):
    withheld cells are [c] in it, where the pack made from the warehouse itself shows numbers."""
    import io

    from pypdf import PdfReader

    (env / "subscriptions.toml").write_text(
        '[[recipient]]\nemail = "a@example.go.jp"\nlang = "en"\nbureaus = ["ICB"]\n'
        'frequency = "on_change"\n', encoding="utf-8")
    out = env / "out"
    out.mkdir()
    assert _run("--warehouse", str(sample_wh), "--always", "--pdf", "--dry-run", str(out)) == 0
    (f,) = out.glob("*.eml")
    msg = email.message_from_bytes(f.read_bytes(), policy=policy.default)
    assert msg.get_content_type() == "multipart/mixed"
    (att,) = list(msg.iter_attachments())
    assert att.get_content_type() == "application/pdf"
    assert att.get_filename().startswith("briefing_publication_en_ICB_")
    data = att.get_content()
    assert data[:5] == b"%PDF-"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert text.count(SUPPRESSED) >= 5
    assert "publication form" in _text(msg) and "attached" in _text(msg)
    from dashboard import brief

    internal = brief.build(brief.view_for(sample_wh, lang="en", bureaus=["ICB"]), "pdf")
    assert SUPPRESSED not in "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(internal)).pages)


# --- a delivery that flips statuses: the changes since the last digest -------------------------

FLIP_SUBS = """
[[recipient]]
email = "minister@example.go.jp"
lang = "ja"
frequency = "on_change"

[[recipient]]
email = "vice@example.go.jp"
lang = "en"
frequency = "on_change"

[[recipient]]
email = "icb@example.go.jp"
lang = "en"
bureaus = ["ICB"]
frequency = "on_change"

[[recipient]]
email = "tbb@example.go.jp"
lang = "ja"
bureaus = ["TBB"]
frequency = "on_change"

[[recipient]]
email = "cso@example.go.jp"
lang = "en"
bureaus = ["CSO"]
frequency = "on_change"
"""
SCOPES = {"minister@example.go.jp": None, "vice@example.go.jp": None,
          "icb@example.go.jp": ["ICB"], "tbb@example.go.jp": ["TBB"],
          "cso@example.go.jp": ["CSO"]}


@pytest.fixture(scope="module")
def versions_two(tmp_path_factory):
    """The sample as version 1, then a delivery revising three targets of plan r7 as version
    2: secondees at least 90 instead of 50 (FY2025's ministry-wide 84: met → below, a count the
    pack shows), drill mails opened at most 8.5 % instead of 10 % and reported at least 78 %
    instead of 75 % (ICB's open rate 8.8 % met → above and TBB's report rate 76.2 % met → below,
    cells the packs show; CSO's open rate 9.5 % met → above, a cell they withhold). Returns
    (warehouse, store root, version 1's file)."""
    versions = pytest.importorskip("pipelines.delivery.versions")
    from pipelines.delivery.store import Store  # noqa: I001 (after the importorskip)
    from pipelines.warehouse import build

    tmp = tmp_path_factory.mktemp("digest-versions")
    raw1 = ROOT / "data" / "raw"
    raw2 = tmp / "raw2"
    raw2.mkdir()
    for f in raw1.iterdir():
        if f.suffix == ".csv":
            (raw2 / f.name).write_bytes(f.read_bytes())
    targets = (raw2 / "plan_targets.csv").read_text(encoding="utf-8")
    targets = targets.replace("r7,phishing_report_rate,2025,2029,min,0.75,",
                              "r7,phishing_report_rate,2025,2029,min,0.78,")
    targets = targets.replace("r7,phishing_open_rate,2025,2029,max,,0.1,",
                              "r7,phishing_open_rate,2025,2029,max,,0.085,")
    targets = targets.replace("r7,secondees,2025,2029,min,50.0,", "r7,secondees,2025,2029,min,90,")
    (raw2 / "plan_targets.csv").write_text(targets, encoding="utf-8")
    wh = tmp / "warehouse.duckdb"
    st = Store(root=tmp / "deliveries", warehouse=wh)
    res1 = build(raw1, wh)
    v1 = versions.record_cli(st, res1, raw1)
    res2 = build(raw2, wh)
    versions.record_cli(st, res2, raw2)
    return wh, tmp / "deliveries", Path(v1.warehouse_path(st))


def _expected(before: Path, after: Path, bureaus: list[str] | None, packs: bool = True
              ) -> set[tuple]:
    """Held out: the status flips a scope should be told of, from the two kpi tables and the
    two packs directly (both statuses shown in the packs, and different)."""
    import duckdb

    def kpi(p: Path) -> dict:
        with duckdb.connect(str(p), read_only=True) as con:
            return {(m, fy, b): s for m, fy, b, s in con.execute(
                "SELECT metric, fiscal_year, bureau_code, status FROM kpi").fetchall()}

    def pack(p: Path) -> dict:
        if not packs:
            return kpi(p)
        return {(r["metric"], r["fiscal_year"], r["bureau_code"]): r["status"]
                for r in disclosure.release(p, 5).tables["kpi"].iter_rows(named=True)}

    kb, ka, pb, pa = kpi(before), kpi(after), pack(before), pack(after)
    out = set()
    for key in kb.keys() & ka.keys():
        m, fy, b = key
        mine = b is None if bureaus is None else (
            b in bureaus or (b is None and not METRIC_BY_CODE[m].by_bureau))
        if mine and kb[key] != ka[key] and SUPPRESSED not in (pb[key], pa[key]):
            out.add((m, fy, b, pb[key], pa[key]))
    return out


def test_digest_after_a_delivery_that_flips_statuses(versions_two, env, smtp, monkeypatch,
                                                     capsys):
    wh, store_root, v1 = versions_two
    monkeypatch.setenv("DTP_DELIVERIES", str(store_root))
    (env / "subscriptions.toml").write_text(FLIP_SUBS, encoding="utf-8")
    expect = {who: _expected(v1, wh, scope) for who, scope in SCOPES.items()}
    assert ("secondees", 2025, None, "met", "below") in expect["minister@example.go.jp"]
    # flips the packs withhold: never told (and no mail goes out for them alone); which
    # cells the packs withhold is the protector's choice, so they are found, not named
    withheld = {who: {f[:3] for f in _expected(v1, wh, scope, packs=False)}
                - {f[:3] for f in expect[who]}
                for who, scope in SCOPES.items() if scope}
    assert any(withheld.values()), "the delivery flips no withheld cell: nothing held back"

    assert _run("--warehouse", str(wh)) == 0
    got = _mails(smtp)
    # the right recipients: those with a visible change in their scope
    assert {"minister@example.go.jp", "vice@example.go.jp"} <= set(got)
    for who, flips in expect.items():
        if not flips and who in got:  # only an outlook change may have sent it
            assert i18n.t("digest_outlooks", got[who]["Content-Language"]) in _text(got[who])
    for who, flips in expect.items():
        if who not in got:
            continue
        msg = got[who]
        lang = msg["Content-Language"]
        text = _text(msg)
        assert i18n.t("digest_changes", lang) in text
        assert i18n.t("digest_since", lang, old=1, new=2) in text
        lines = [x for x in text.splitlines() if x.startswith("- ") and " → " in x]
        for m, fy, _bureau, s_before, s_after in flips:
            line = next((x for x in lines if i18n.metric_name(m, lang) in x
                         and fmt.fy_label(fy, lang) in x), None)
            assert line is not None, (who, m, fy)
            assert f"{i18n.status_text(s_before, lang)} → {i18n.status_text(s_after, lang)}" \
                in line
        # held out: each change line's figures are its cell's in the two packs, nothing else
        scope = [None] + (SCOPES[who] or [])
        for line in lines:
            code = next(c for c in METRIC_BY_CODE if i18n.metric_name(c, lang) in line)
            fy = next(f for f in range(2040, 2009, -1) if fmt.fy_label(f, lang) in line)
            own: set[str] = set()
            for p in (v1, wh):
                rel = disclosure.release(p, 5)
                for r in rel.tables["kpi"].iter_rows(named=True):
                    if (r["metric"], r["fiscal_year"]) == (code, fy) and r["bureau_code"] \
                            in scope:
                        for c in ("value", "target_min", "target_max"):
                            own |= _forms(None if r[c] is None else str(r[c]),
                                          METRIC_BY_CODE[code].is_rate)
                for r in rel.tables["kpi_pace"].iter_rows(named=True):
                    if r["metric"] == code and r["bureau_code"] in scope:
                        own |= _forms(r["projected"], METRIC_BY_CODE[code].is_rate)
            for n in _numbers(_strip_fy(line, lang)):
                assert n in own, (who, n, line)
        # the bureau filter: no other scope's rows
        status_lines = [x for x in lines if i18n.t("digest_value", lang) in x]
        assert len(status_lines) == len(flips), (who, status_lines, flips)
        assert i18n.t("digest_subject_flips", lang, n=len(flips)) in msg["Subject"]
        outlooks = len(lines) - len(flips)
        assert (i18n.t("digest_subject_outlooks", lang, n=outlooks) in msg["Subject"]) \
            == (outlooks > 0)
    # both languages went out, the message ids are in the audit trail with version 2
    assert got["minister@example.go.jp"]["Subject"].startswith("【")
    assert got["vice@example.go.jp"]["Subject"].strip().startswith("[")
    audited = {x["recipient"]: x for x in _audit_mails(env / "audit.jsonl")}
    assert set(audited) == set(got)
    for who, msg in got.items():
        assert audited[who]["message_id"] == msg["Message-ID"]
        assert audited[who]["version"] == 2
    state = json.loads((env / "state.json").read_text())["recipients"]
    assert {k: v["version"] for k, v in state.items()} == dict.fromkeys(got, 2)
    # a rerun: version 2 was sent; nothing goes out twice
    smtp.messages.clear()
    assert _run("--warehouse", str(wh)) == 0
    assert smtp.messages == []
    # a version the store does not keep: a usage error
    assert _run("--warehouse", str(wh), "--since", "9") == 2
    assert "--since 9: no such version (kept: 2, 1)" in capsys.readouterr().err


def test_a_new_live_version_starts_the_digest(versions_two, env, smtp, monkeypatch, tmp_path):
    """versions.record (approval, CLI build, restore) starts ``python -m dashboard digest`` in
    its own process — for the configured warehouse only, with a subscriptions file, unless
    DTP_DIGEST_AUTO=off — and the mails go out from there."""
    from pipelines.delivery import digest_hook, versions
    from pipelines.delivery.store import Store

    wh, store_root, _v1 = versions_two
    monkeypatch.setenv("DTP_DELIVERIES", str(store_root))
    (env / "subscriptions.toml").write_text(FLIP_SUBS, encoding="utf-8")
    monkeypatch.setenv("DTP_DIGEST_AUTO", "on")  # (tests/conftest.py turns it off)
    assert not digest_hook.wanted(wh)  # not the configured warehouse: a scratch build
    monkeypatch.setenv("DTP_WAREHOUSE", str(wh))
    assert digest_hook.wanted(wh)
    monkeypatch.setenv("DTP_DIGEST_AUTO", "off")
    assert not digest_hook.wanted(wh) and digest_hook.after_live(wh) is None
    monkeypatch.setenv("DTP_DIGEST_AUTO", "on")
    monkeypatch.setenv("DTP_SUBSCRIPTIONS", str(env / "none.toml"))
    assert not digest_hook.wanted(wh)
    monkeypatch.setenv("DTP_SUBSCRIPTIONS", str(env / "subscriptions.toml"))
    assert digest_hook.wanted(wh)

    calls: list[Path] = []
    monkeypatch.setattr(digest_hook, "after_live", calls.append)
    other = Store(root=tmp_path / "store", warehouse=wh)
    versions.record(other, kind="CLI", warehouse_file=wh, raw={}, run_id="r", as_of_date=None)
    assert calls == [wh]
    monkeypatch.undo()  # (the env fixture's settings are set again below)

    for k, v in {"DTP_DELIVERIES": store_root, "DTP_WAREHOUSE": wh,
                 "DTP_SUBSCRIPTIONS": env / "subscriptions.toml",
                 "DTP_DIGEST_STATE": env / "state.json", "DTP_AUDIT_LOG": env / "audit.jsonl",
                 "DTP_SMTP_HOST": "127.0.0.1", "DTP_SMTP_PORT": smtp.port,
                 "DTP_SMTP_SECURITY": "none", "DTP_MAIL_FROM": "dtp-digest@example.go.jp",
                 "DTP_DIGEST_AUTO": "on"}.items():
        monkeypatch.setenv(k, str(v))
    p = digest_hook.after_live(wh)
    assert p is not None and p.wait(timeout=600) == 0
    log = (env / "digest.log").read_text(encoding="utf-8")
    assert {"minister@example.go.jp", "vice@example.go.jp"} <= {to[0] for to, _ in
                                                                smtp.messages}, log
    assert "sent minister@example.go.jp" in log


def test_small_data_withheld_key_messages_never_reach_a_mail(tmp_path, env):
    """Held out on small data (tests/dataset.py via test_pace's builder): three digital hires
    a year, so the pack withholds every digital-hires cell (threshold 5). The app's key message
    for them exists (the unprotected warehouse), yet no mail carries it, nor its figures: the
    mail names the metric as withheld and links to the app."""
    from test_pace import _data

    from dashboard import queries

    hires = [(f"{y}-{m:02d}-15", "B1" if i % 2 else "B2") for y in (2023, 2024, 2025)
             for i, m in enumerate((6, 9, 12))] + [("2026-06-15", "B1"), ("2026-07-15", "B2"),
                                                    ("2026-09-15", "B1")]
    wh = build_from(_data(hires, "2026-11-20"), tmp_path)
    pack = disclosure.release(wh, 5).tables["kpi_pace"]
    hidden = pack.filter((pack["metric"] == "digital_hires") & pack["bureau_code"].is_null())
    assert hidden["pace_status"].to_list() == [SUPPRESSED]
    raw = queries.pace(queries.current_run(wh), None).to_dicts()
    (env / "subscriptions.toml").write_text(
        '[[recipient]]\nemail = "a@example.go.jp"\nlang = "ja"\nfrequency = "on_change"\n'
        '[[recipient]]\nemail = "b@example.go.jp"\nlang = "en"\nfrequency = "on_change"\n',
        encoding="utf-8")
    out = env / "out"
    out.mkdir()
    assert _run("--warehouse", str(wh), "--always", "--dry-run", str(out)) == 0
    for f in sorted(out.glob("*.eml")):
        msg = email.message_from_bytes(f.read_bytes(), policy=policy.default)
        lang = msg["Content-Language"]
        app = [m for m in digest.messages.key_messages(raw, lang)
               if i18n.metric_name("digital_hires", lang) in m]
        assert app, "the app has a key message on digital hires"
        name = i18n.metric_name("digital_hires", lang)
        for part in (_text(msg), _html(msg)):
            assert not any(m in part for m in app)
            for line in part.splitlines():
                if name in line:
                    assert SUPPRESSED in line and not [
                        n for n in _numbers(line) if n not in {"90"}], line
        assert "https://dtp.example.go.jp/dashboard/?lang=" in _text(msg)


def test_monthly_recipients_at_most_once_a_calendar_month():
    import datetime as dt

    r = subscriptions.Recipient("a@example.go.jp", "ja", None, "monthly")
    sent = subscriptions.Sent(2, "run", dt.datetime(2026, 11, 30, 23, 0), "<id>")
    assert not digest._due(r, sent, dt.datetime(2026, 11, 30, 23, 30))
    assert digest._due(r, sent, dt.datetime(2026, 12, 1, 8, 0))
    assert digest._due(r, None, dt.datetime(2026, 11, 30, 23, 30))
    on_change = subscriptions.Recipient("a@example.go.jp", "ja", None, "on_change")
    assert digest._due(on_change, sent, dt.datetime(2026, 11, 30, 23, 30))
