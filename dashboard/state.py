"""The global view (language, bureaus, FY span) and its place in the URL.

``controls()`` draws the sidebar controls and returns the :class:`View`; ``app.py`` calls it on
every rerun before the page runs, and a page gets the same object with ``view()``. The URL query
string holds the state — ``lang`` (ja|en), ``bureau`` (comma-separated codes), ``fy_from``,
``fy_to`` — so a copied link or a reload reproduces the view. Values are only ever compared
with the warehouse's own codes and years; anything else is dropped with a small notice.

The URL is read when it holds what the session did not write itself — at a session's start,
and again after a link, a bookmark, back/forward or an edit mid-session; otherwise the widgets
are the truth and the URL is rewritten from them. Every value that is ignored is named in one
notice (``ignore`` / ``show_notices``), each time. Pages keep their own parameters with the
URL-kept widgets ``url_select``, ``url_multiselect`` and ``url_toggle`` (one core,
``_url_widget``); register a parameter's name in ``PAGE_PARAMS`` (an unregistered one is
reported as unknown and dropped from the URL before its page runs, so ``_url_widget`` refuses
it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from dashboard import fmt, queries
from dashboard.queries import Run, Selection
from release import i18n
from release.catalogue import URL_PARAMS

GLOBAL_PARAMS = ("lang", "bureau", "fy_from", "fy_to")
# page-level parameters (url_select …): the snapshot FY, the hiring page's track, the pace
# block's metric, the review's plan. Unregistered, a link's value was reported as unknown
# and dropped from the URL before its page ran (issue 18); _url_widget now refuses one.
PAGE_PARAMS: set[str] = {"fy", "track", "pace", "plan"}
# the draft revision page (issue 26): ``plan`` (the plan revised) and ``metric`` (its chart)
# the roll-up edition (dashboard/rollup/ui.py): the organisation filter and a page's metric
PAGE_PARAMS |= {"org", "metric"}
PAGE_PARAMS |= {"month"}  # the roll-up's month shown (issue 24), on every roll-up page
PAGE_PARAMS |= URL_PARAMS  # the data page's dataset, publication switch and filters (issue 4)

K_LANG, K_BUREAUS, K_SPAN = "lang", "bureaus", "fy_span"
_WRITTEN = "_url_written"  # the URL as this session last wrote it
_PENDING = "_url_pending"
_NOTICES = "_url_notices"
_VIEW = "_view"
_CLAIMED = "_page_params"
_SPAN_INIT = "_fy_span_init"

_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_YEAR = re.compile(r"^\d{4}$")


class FyLabels:
    """FY labels and strings of a view in its language (the ministry's View, the roll-up's
    RollupView): needs ``lang``, ``fys`` and ``in_progress(fy)``."""

    lang: str

    def fy_label(self, fy: int) -> str:
        return fmt.fy_label(fy, self.lang, self.in_progress(fy))

    def fy_tick(self, fy: int) -> str:
        return fmt.fy_tick(fy, self.lang, self.in_progress(fy))

    @property
    def latest_complete_fy(self) -> int:
        """The latest FY of the view that is not in progress (or its last FY)."""
        done = [f for f in self.fys if not self.in_progress(f)]
        return done[-1] if done else self.fys[-1]

    def t(self, key: str, **fmt: object) -> str:
        return i18n.t(key, self.lang, **fmt)


@dataclass(frozen=True)
class View(FyLabels):
    lang: str
    run: Run
    bureaus: Selection  # None = all bureaus (ministry-wide rows)
    fy_from: int
    fy_to: int
    all_fys: tuple[int, ...]
    bureau_names: dict[str, str] = field(default_factory=dict)

    @property
    def filtered(self) -> bool:
        return self.bureaus is not None

    @property
    def fys(self) -> list[int]:
        return [f for f in self.all_fys if self.fy_from <= f <= self.fy_to]

    def in_progress(self, fy: int) -> bool:
        return self.run.in_progress(fy)

    def bureau_label(self, code: str | None) -> str:
        return self.bureau_names.get(code or "", i18n.t("other_bureau", self.lang))


# --- reading the URL ----------------------------------------------------------------------------

def _raw(name: str) -> str | None:
    values = st.query_params.get_all(name)
    return ",".join(values) if values else None


def _from_outside(name: str) -> str | None:
    """The URL's value of ``name`` if this session did not write it itself (a link, a bookmark,
    a reload, back/forward, an edit): a value to read and validate. None otherwise."""
    raw = _raw(name)
    if raw is None or raw == st.session_state.get(_WRITTEN, {}).get(name):
        return None
    return raw


def _read_url() -> None:
    """Read what the URL holds that this session did not write — at a session's first run and
    whenever it changes from outside later. Unknown keys and a bad ``lang`` are noted at once;
    bureau and FY values wait for the warehouse (``_apply_pending``)."""
    ss = st.session_state
    notices: list[str] = []
    for key in st.query_params:
        if (key not in GLOBAL_PARAMS and key not in PAGE_PARAMS
                and _from_outside(key) is not None):
            # echo a name only if it is plainly a name (the notice is markdown)
            notices.append(key if _CODE.match(key) else "…")
    lang = _from_outside("lang")
    if lang is not None:
        if lang in i18n.LANGS:
            ss[K_LANG] = lang
        else:
            notices.append("lang")
    pending = {k: v for k in ("bureau", "fy_from", "fy_to")
               if (v := _from_outside(k)) is not None}
    if pending:
        ss[_PENDING] = pending
    ignore(*notices)


def _apply_pending(codes: Sequence[str], fys: Sequence[int]) -> None:
    """Validate the URL's bureau and FY values against the warehouse (once it is there)."""
    ss = st.session_state
    pending = ss.pop(_PENDING, None)
    if not pending:
        return
    notices: list[str] = []
    raw = pending.get("bureau")
    if raw is not None:
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        good = [p for p in parts if _CODE.match(p) and p in codes]
        if len(good) != len(parts) or not parts:
            notices.append("bureau")
        if good:
            ss[K_BUREAUS] = list(dict.fromkeys(good))
    # a value the URL does not give keeps the span on screen (all FYs at a session's start)
    now = ss.get(K_SPAN) or ss.get(_SPAN_INIT) or (fys[0], fys[-1])
    span = [f if f in fys else d for f, d in zip(now, (fys[0], fys[-1]), strict=True)]
    for i, name in enumerate(("fy_from", "fy_to")):
        raw = pending.get(name)
        if raw is None:
            continue
        if _YEAR.match(raw.strip()) and int(raw) in fys:
            span[i] = int(raw)
        else:
            notices.append(name)
    if span[0] > span[1]:
        notices.extend(["fy_from", "fy_to"])
        span = [fys[0], fys[-1]]
    if K_SPAN in ss and tuple(ss[K_SPAN]) != tuple(span):
        del ss[K_SPAN]  # a new ``value=`` is a new widget: it starts at the URL's span
    ss[_SPAN_INIT] = tuple(span)
    ignore(*notices)


# --- one notice for every ignored URL value -----------------------------------------------------

def ignore(*names: str) -> None:
    """Note URL parameters whose values were ignored (``show_notices`` names them)."""
    if names:
        st.session_state.setdefault(_NOTICES, []).extend(names)


def show_notices(lang: str, container: Any = None) -> None:
    """A toast and a caption (in ``container``, default the sidebar) naming the URL parameters
    ignored since the last notice — every time the URL brings one, not only at a session's
    start."""
    notices = st.session_state.pop(_NOTICES, None)
    if notices:
        names = ", ".join(dict.fromkeys(notices))
        msg = i18n.t("ignored_params", lang, names=names)
        st.toast(msg, icon="⚠️")
        (container or st.sidebar).caption("⚠️ " + msg)


# --- the controls -------------------------------------------------------------------------------

def _language(lang_default: str) -> str:
    ss = st.session_state
    if ss.get(K_LANG) not in i18n.LANGS:
        ss[K_LANG] = lang_default
    return st.sidebar.radio(i18n.t("language", ss[K_LANG]), i18n.LANGS, key=K_LANG,
                            format_func=i18n.LANG_NAMES.get, horizontal=True)


def controls() -> View:
    """Draw the global sidebar controls and return the view. Without a readable warehouse it
    raises ``queries.WarehouseMissing`` or ``queries.WarehouseUnreadable`` (app.py says so)."""
    st.session_state[_CLAIMED] = set()
    _read_url()
    lang = _language(i18n.DEFAULT_LANG)
    try:
        run = queries.current_run()
    except (queries.WarehouseMissing, queries.WarehouseUnreadable):
        st.session_state[_VIEW] = None
        show_notices(lang)
        raise
    fys = queries.fiscal_years(run)
    if not fys:
        st.session_state[_VIEW] = None
        raise queries.WarehouseUnreadable("no fiscal years")
    bdf = queries.bureaus(run)
    codes = bdf["bureau_code"].to_list()
    names = dict(zip(codes, bdf["name_en" if lang == "en" else "name_ja"].to_list(), strict=True))
    _apply_pending(codes, fys)

    ss = st.session_state
    # keep the widgets' values valid for this warehouse (a rebuild may change codes or years)
    kept = [c for c in ss.get(K_BUREAUS, []) if c in names]
    if kept != ss.get(K_BUREAUS, []):
        ss[K_BUREAUS] = kept
    # the span widget gets its first value through ``value=`` (from the URL, else all FYs);
    # a span this warehouse no longer has is reset the same way
    init = ss.get(_SPAN_INIT, (fys[0], fys[-1]))
    init = (init[0] if init[0] in fys else fys[0], init[1] if init[1] in fys else fys[-1])
    span = ss.get(K_SPAN)
    if span is not None and not (isinstance(span, tuple | list) and len(span) == 2
                                 and all(f in fys for f in span)):
        del ss[K_SPAN]
        init = (fys[0], fys[-1])
    ss[_SPAN_INIT] = init

    sb = st.sidebar
    sb.markdown(f"**{i18n.t('controls', lang)}**")
    chosen = sb.multiselect(i18n.t("bureaus", lang), codes, key=K_BUREAUS,
                            format_func=lambda c: names.get(c, c),
                            placeholder=i18n.t("bureaus_placeholder", lang),
                            help=i18n.t("bureaus_help", lang))
    if len(fys) > 1:
        lo, hi = sb.select_slider(i18n.t("fy_span", lang), options=fys, key=K_SPAN,
                                  value=init,
                                  format_func=lambda f: fmt.fy_label(f, lang, run.in_progress(f)))
    else:
        lo = hi = fys[0]
    sel: Selection = tuple(c for c in codes if c in chosen) or None
    if sel is not None and len(sel) == len(codes):
        sel = None  # every bureau = the whole ministry
    sb.caption(i18n.t("all_bureaus", lang) if sel is None
               else i18n.t("n_bureaus", lang, n=len(sel)))
    view = View(lang=lang, run=run, bureaus=sel, fy_from=lo, fy_to=hi, all_fys=tuple(fys),
                bureau_names=names)
    ss[_VIEW] = view
    _write_url(view)
    show_notices(lang)
    sb.caption(i18n.t("share_hint", lang))
    return view


def view() -> View:
    """The view of this rerun (drawn by app.py; drawn here if a page runs on its own)."""
    v = st.session_state.get(_VIEW)
    if v is None:
        v = controls()
    return v


# --- writing the URL ----------------------------------------------------------------------------

def _global_params(v: View) -> dict[str, str]:
    out: dict[str, str] = {}
    if v.lang != i18n.DEFAULT_LANG:
        out["lang"] = v.lang
    if v.bureaus is not None:
        out["bureau"] = ",".join(v.bureaus)
    if (v.fy_from, v.fy_to) != (v.all_fys[0], v.all_fys[-1]):
        out["fy_from"], out["fy_to"] = str(v.fy_from), str(v.fy_to)
    return out


def _current_params() -> dict[str, str]:
    return {k: _raw(k) or "" for k in st.query_params}


def _write_url(v: View) -> None:
    cur = _current_params()
    want = _global_params(v)
    # page parameters stay until the page has run (finish() drops unclaimed ones)
    want.update({k: val for k, val in cur.items() if k in PAGE_PARAMS})
    if want != cur:
        st.query_params.from_dict(want)
    # the global parameters are the session's own now; page parameters are read by their
    # widgets first (``_url_widget``) and become the session's own there or in ``finish()``
    written = {k: v for k, v in st.session_state.get(_WRITTEN, {}).items()
               if k not in GLOBAL_PARAMS}
    st.session_state[_WRITTEN] = written | {k: v for k, v in want.items() if k in GLOBAL_PARAMS}


def finish() -> None:
    """After the page ran: drop page parameters that this page did not claim; those a link
    brought (not carried over from the session's own last page) are named in the notice, as
    unknown ones are (issue 29: ``pace`` on /hiring, ``pace`` and ``fy`` on /review, ``plan``
    and ``dataset`` on the roll-up's pages went without a word)."""
    claimed = st.session_state.get(_CLAIMED, set())
    dropped = []
    for k in list(st.query_params):
        if k in PAGE_PARAMS and k not in claimed:
            if _from_outside(k) is not None:
                dropped.append(k)
            del st.query_params[k]
    if dropped:
        ignore(*dropped)
        show_notices(st.session_state.get(K_LANG, i18n.DEFAULT_LANG))
    _remember_url()


def _remember_url() -> None:
    """What the URL holds now is the session's own: read again only what differs from it."""
    st.session_state[_WRITTEN] = _current_params()


def claim(param: str) -> None:
    """Keep a page's own URL parameter on this run (``finish()`` drops unclaimed ones)."""
    ss = st.session_state
    ss[_CLAIMED] = ss.get(_CLAIMED, set()) | {param}


# --- URL-kept page widgets: one core for select, multiselect and toggle ---------------------------

def _url_widget(param: str, key: str, default: Any, parse: Callable[[str], tuple[Any, bool]],
                valid: Callable[[Any], Any], text: Callable[[Any], str | None],
                draw: Callable[[], Any], notice_in: Any = None) -> Any:
    """A page widget kept in the URL as ``param`` while its page is shown.

    * A URL value this session did not write (a link, a bookmark, back/forward, an edit) is
      read: ``parse`` returns the value and whether all of it was valid; what is not valid is
      ignored with the notice (``show_notices``), every time.
    * Otherwise the widget keeps its value, also across leaving and re-entering its page
      (a shadow copy survives Streamlit dropping the state of widgets not drawn).
    * ``valid`` maps a value to the nearest valid one for the options on screen now.
    * ``text`` gives the URL text of a value, or None to leave the parameter out.
    """
    if param not in PAGE_PARAMS:  # its link value would never reach the widget
        raise ValueError(f"URL parameter {param!r} is not registered in state.PAGE_PARAMS")
    ss = st.session_state
    claim(param)
    shadow = f"_keep_{key}"
    raw = _from_outside(param)
    if raw is not None:
        try:
            value, ok = parse(raw)
        except (TypeError, ValueError):
            value, ok = None, False
        if not ok:
            ignore(param)
            show_notices(st.session_state.get(K_LANG, i18n.DEFAULT_LANG), notice_in)
        if value is not None:
            ss[key] = value
    if key not in ss:
        ss[key] = ss.get(shadow, default)
    ss[key] = valid(ss[key])
    value = draw()
    ss[shadow] = value
    want = text(value)
    if want is None:
        if param in st.query_params:
            del st.query_params[param]
    elif _raw(param) != want:
        st.query_params[param] = want
    written = ss.setdefault(_WRITTEN, {})
    if want is None:
        written.pop(param, None)
    else:
        written[param] = want
    return value


def url_select(param: str, key: str, label: str, options: Sequence[Any], default: Any,
               format_func: Callable[[Any], str] = str, container: Any = None,
               parse: Callable[[str], Any] = str) -> Any:
    """A selectbox kept in the URL as ``param`` (left out at its default)."""
    opts = list(options)
    box = container or st

    def read(raw: str) -> tuple[Any, bool]:
        value = parse(raw)
        return (value, True) if value in opts else (None, False)

    return _url_widget(
        param, key, default, read, lambda v: v if v in opts else default,
        lambda v: None if v == default else str(v),
        lambda: box.selectbox(label, opts, key=key, format_func=format_func),
        notice_in=box)


def url_multiselect(param: str, key: str, label: str, options: Sequence[Any],
                    format_func: Callable[[Any], str] = str, placeholder: str | None = None,
                    token: Callable[[Any], str] = str, container: Any = None) -> list[Any]:
    """A multiselect kept in the URL as ``param=a,b`` (each value written by ``token``);
    values not among ``options`` are ignored with the notice. Empty = left out."""
    opts = list(options)
    by_token = {token(o): o for o in opts}
    box = container or st

    def read(raw: str) -> tuple[Any, bool]:
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        picked = [by_token[p] for p in parts if p in by_token]
        return list(dict.fromkeys(picked)), len(picked) == len(parts)

    return _url_widget(
        param, key, [], read, lambda v: [o for o in dict.fromkeys(v or []) if o in opts],
        lambda v: ",".join(token(o) for o in v) or None,
        lambda: box.multiselect(label, opts, key=key, format_func=format_func,
                                placeholder=placeholder),
        notice_in=box)


def url_toggle(param: str, key: str, label: str, help: str | None = None,  # noqa: A002
               container: Any = None) -> bool:
    """A toggle kept in the URL as ``param=1`` while on (``1``/``true``, ``0``/``false``)."""
    box = container or st
    values = {"1": True, "true": True, "0": False, "false": False}

    def read(raw: str) -> tuple[Any, bool]:
        return (values[raw], True) if raw in values else (None, False)

    return _url_widget(param, key, False, read, bool, lambda v: "1" if v else None,
                       lambda: box.toggle(label, key=key, help=help), notice_in=box)


def fy_select(v: View, key: str, default: int | None = None, container: Any = None) -> int:
    """The page's single FY (for snapshots), default the latest completed FY of the span."""
    fys = v.fys
    return url_select("fy", key, v.t("snapshot_fy"), list(reversed(fys)),
                       default if default in fys else v.latest_complete_fy,
                       format_func=v.fy_label, container=container, parse=int)
