"""Who may see what: the one enforcement point of the dashboard.

Everything that decides access lives here; ``app.py`` builds the navigation from
:func:`allowed_pages`, the data page offers :func:`datasets_for`, and every download callable
calls :func:`authorize_download` at the moment its bytes are made.

* **Edition** (``DTP_EDITION``): ``internal`` (sign-in and roles), ``public`` (no sign-in;
  the principal is ``public``: plan pages, Dictionary and the Data page with publication
  datasets only) or ``rollup`` (the government-wide roll-up: sign-in, roles and local mode as
  internal, with the roll-up's own access file; the roll-up pages instead of the plan pages).
  Anything else: no data, and the page says why.
* **Roll-up edition.** The roll-up file holds publication-form figures only (every
  organisation's protected pack, ``release.rollup``), so whoever may take aggregated data in
  publication form (viewer and up) gets its pages, its downloads and its briefing pack; admins
  also the audit page. No ministry page and no dataset of a ministry warehouse is offered.
* **Internal, no ``[auth]`` in the secrets: local mode.** The local user counts as analyst, and
  only while the server listens on a loopback address (``server.address``); otherwise no data.
* **Internal with ``[auth]``:** Streamlit's native OIDC (``st.login`` / ``st.user``). Roles come
  from the access file (``DTP_ACCESS_FILE``, TOML): an entry is an e-mail address (matched
  case-insensitively with the ``email`` claim) or ``group:<name>`` (matched with the ``groups``
  claim). Roles are cumulative: admin ⊃ analyst ⊃ planner ⊃ viewer. A missing or invalid file
  serves no data (never fails open); a signed-in person on no list is denied.

| role    | adds                                                                         |
|---------|------------------------------------------------------------------------------|
| viewer  | plan pages, Dictionary, Data quality; aggregated downloads in publication form |
| planner | aggregated datasets (kpi, marts) unprotected                                 |
| analyst | the row-level ``stg_*`` datasets                                             |
| admin   | the audit page                                                               |

Planners and up also get the 計画の改定案 / Draft revision page (``may_draft``), never in the
public or roll-up edition.

* **Stewards** (issue 22): the access file's ``steward`` list (e-mails and ``group:`` entries),
  outside the ladder: the データ更新 / Data deliveries page — upload, validate, see the changes,
  approve or reject *other people's* deliveries, withdraw their own. Admins may do the same and
  alone restore an earlier version. With sign-in nobody approves their own delivery
  (``four_eyes``: checked again in ``pipelines.delivery.flow.approve``); the local user is a
  steward too, and may approve their own (``four_eyes: false``). Executives never see a
  candidate: the plan pages read only the live warehouse.

The rule functions (``can_page``, ``datasets_for``, ``publication_only``, ``may_download``) are
plain functions of a :class:`Principal`, testable without Streamlit.
"""

from __future__ import annotations

import ipaddress
import logging
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipelines import settings
from release.catalogue import DOWNLOADS

log = logging.getLogger("dtp.access")

ROLES = ("viewer", "planner", "analyst", "admin")  # each includes the ones before it
STEWARD = "steward"  # outside the ladder: the data deliveries page (issue 22)
EXTRA_ROLES = (STEWARD,)
LOCAL_ROLE = "analyst"
LOCAL_USER = "local"
PUBLIC_USER = "public"

# pages by url_path (dashboard/nav.py): the least role that opens them
PLAN_PAGES = frozenset({"overview", "hiring", "training", "certification", "security",
                        "workforce", "review"})
PAGE_ROLE: dict[str, str] = {**dict.fromkeys(PLAN_PAGES, "viewer"), "dictionary": "viewer",
                             "quality": "viewer", "data": "viewer", "audit": "admin",
                             "draft": "planner"}  # the draft revision (issue 26): no public
PUBLIC_PAGES = PLAN_PAGES | {"dictionary", "data"}
# the roll-up edition's pages (dashboard/nav.py ROLLUP_PAGES) and the ones it shares
ROLLUP_PAGES = frozenset({"compare", "government", "pace", "months", "submissions",
                          "rollup-data", "inbox"})
ROLLUP_SHARED = frozenset({"audit"})
# the roll-up's submissions inbox (issue 24): for the access file's ``submitter`` list only,
# each entry naming its organisation ("MOE:group:moe-dtp", "MOE:someone@…"); a submitter may
# upload packs of that organisation and no other (``may_submit``), needing no role
INBOX_PAGE = "inbox"
ANY_ORGANISATION = "*"  # local mode: the operator at the server, like `rollup accept`
PAGE_ROLE.update(dict.fromkeys(ROLLUP_PAGES, "viewer"))
ROLLUP_DATASETS = ("rollup_kpi", "rollup_kpi_pace")  # what the roll-up's downloads hold


class AccessDenied(PermissionError):
    """The principal may not have what it asked for."""


class AccessFileError(ValueError):
    """The access file is missing or invalid (the message names the file, not its folder)."""


# --- the access file ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AccessFile:
    contact: str | None
    entries: dict[str, tuple[str, ...]]  # role -> entries, as written
    submitters: tuple[tuple[str, str], ...] = ()  # (organisation code, e-mail or group:<name>)


def _check_entry(e: str, what: str, name: str) -> None:
    if e.startswith("group:"):
        if not e[len("group:"):].strip():
            raise AccessFileError(f"{name}: {what} has an empty group name")
    elif "@" not in e or e.startswith("@") or e.endswith("@"):
        raise AccessFileError(
            f"{name}: {what} entry {e!r} is neither an e-mail address nor group:<name>")


def _submitters(raw: object, name: str) -> tuple[tuple[str, str], ...]:
    """The ``submitter`` list: ``"CODE:e-mail"`` or ``"CODE:group:<name>"``."""
    from release.organisation import OrganisationError, check_code

    if not isinstance(raw, list) or not all(isinstance(e, str) for e in raw):
        raise AccessFileError(f"{name}: submitter must be a list of strings")
    out = []
    for e in raw:
        code, sep, who = e.strip().partition(":")
        if not sep:
            raise AccessFileError(f"{name}: submitter entry {e!r} is not CODE:e-mail or "
                                  "CODE:group:<name>")
        try:
            check_code(code.strip())
        except OrganisationError as exc:
            raise AccessFileError(f"{name}: submitter entry {e!r}: {exc}") from None
        _check_entry(who.strip(), "submitter", name)
        out.append((code.strip(), who.strip()))
    return tuple(out)


def parse_access(text: str, name: str = "access.toml") -> AccessFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccessFileError(f"{name}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"contact", *ROLES, *EXTRA_ROLES, "submitter"})
    if unknown:
        raise AccessFileError(f"{name}: unknown key(s) {', '.join(unknown)}; allowed: "
                              f"contact, {', '.join((*ROLES, *EXTRA_ROLES, 'submitter'))}")
    contact = data.get("contact")
    if contact is not None and (not isinstance(contact, str) or not contact.strip()):
        raise AccessFileError(f"{name}: contact must be a non-empty string")
    entries: dict[str, tuple[str, ...]] = {}
    for role in (*ROLES, *EXTRA_ROLES):
        raw = data.get(role, [])
        if not isinstance(raw, list) or not all(isinstance(e, str) for e in raw):
            raise AccessFileError(f"{name}: {role} must be a list of strings")
        for e in raw:
            _check_entry(e.strip(), role, name)
        entries[role] = tuple(e.strip() for e in raw)
    return AccessFile(contact.strip() if contact else None, entries,
                      _submitters(data.get("submitter", []), name))


def load_access(path: Path | None = None) -> AccessFile:
    """Read and check the access file afresh (so an edit applies at the next interaction)."""
    p = Path(path or settings.access_file())
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccessFileError(f"{p.name}: not found (DTP_ACCESS_FILE)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AccessFileError(f"{p.name}: cannot be read ({type(exc).__name__})") from None
    return parse_access(text, p.name)


# --- who is asking --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Identity:
    """What the ID token says about the person (kept by a download callable)."""

    sub: str | None
    email: str | None
    groups: tuple[str, ...] = ()

    @property
    def user(self) -> str:
        return self.email or self.sub or "?"

    @classmethod
    def from_claims(cls, claims: Mapping[str, object]) -> Identity:
        """``email`` counts unless the provider says it is unverified (``email_verified``
        false: Keycloak with self-service profiles); Entra ID sends no such claim."""
        email = claims.get("email")
        if claims.get("email_verified") in (False, "false"):
            email = None
        sub = claims.get("sub")
        groups = claims.get("groups") or ()
        if isinstance(groups, str):
            groups = (groups,)
        return cls(str(sub) if sub else None,
                   str(email).strip() if isinstance(email, str) and email.strip() else None,
                   tuple(str(g) for g in groups if isinstance(g, str | int)))  # type: ignore[union-attr]


def _listed(identity: Identity, entries: Sequence[str]) -> bool:
    email = (identity.email or "").casefold()
    groups = set(identity.groups)
    for e in entries:
        if e.startswith("group:"):
            if e[len("group:"):].strip() in groups:
                return True
        elif email and e.casefold() == email:
            return True
    return False


def roles_for(identity: Identity, access: AccessFile) -> tuple[str, ...]:
    """The person's roles: ``steward`` if listed there (outside the ladder), then the
    ladder's, cumulative (holding admin gives all four), in ROLES order — so the last one is
    still the highest of the ladder."""
    top = -1
    for i, role in enumerate(ROLES):
        if _listed(identity, access.entries.get(role, ())):
            top = max(top, i)
    extra = tuple(r for r in EXTRA_ROLES if _listed(identity, access.entries.get(r, ())))
    return extra + ROLES[:top + 1]


def submits_for(identity: Identity, access: AccessFile) -> tuple[str, ...]:
    """The organisations whose packs the person may submit (the ``submitter`` list)."""
    return tuple(sorted({code for code, e in access.submitters if _listed(identity, (e,))}))


@dataclass(frozen=True)
class Principal:
    user: str  # e-mail, else sub; "local" in local mode; "public" in the public edition
    roles: tuple[str, ...]
    edition: str = "internal"
    mode: str = "oidc"  # oidc | local | public
    identity: Identity | None = field(default=None, compare=False)
    submits: tuple[str, ...] = ()  # organisations whose packs it may submit (roll-up inbox)

    @property
    def role(self) -> str | None:
        """The highest role of the ladder (a steward alone: ``steward``)."""
        ladder = [r for r in self.roles if r in ROLES]
        return ladder[-1] if ladder else (self.roles[-1] if self.roles else None)

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def public(self) -> bool:
        return self.edition == "public"

    @property
    def rollup(self) -> bool:
        return self.edition == "rollup"


LOCAL = Principal(LOCAL_USER, (STEWARD, *ROLES[:ROLES.index(LOCAL_ROLE) + 1]), "internal",
                  "local", submits=(ANY_ORGANISATION,))
PUBLIC = Principal(PUBLIC_USER, (), "public", "public")


# --- the rules ----------------------------------------------------------------------------------

def can_page(p: Principal, url_path: str) -> bool:
    if url_path == DELIVERIES_PAGE:
        return may_deliver(p)
    if p.public:
        return url_path in PUBLIC_PAGES
    if (url_path in ROLLUP_PAGES) != p.rollup and url_path not in ROLLUP_SHARED:
        return False  # each edition its own pages
    if url_path == INBOX_PAGE:
        return bool(p.submits)
    need = PAGE_ROLE.get(url_path)
    return need is not None and p.has(need)


DELIVERIES_PAGE = "deliveries"  # データ更新 / Data deliveries (views/deliveries.py)


def may_deliver(p: Principal) -> bool:
    """Open the data deliveries page, upload, approve or reject others' deliveries, withdraw
    one's own: stewards and admins of the ministry's edition (internal)."""
    return p.edition == "internal" and p.mode in ("oidc", "local") and (
        p.has(STEWARD) or p.has("admin"))


def may_restore(p: Principal) -> bool:
    """Put back an earlier version of the warehouse: admins."""
    return may_deliver(p) and p.has("admin")


def may_delete_delivery(p: Principal, uploader: str) -> bool:
    """A rejected delivery: its uploader or an admin."""
    return may_deliver(p) and (p.has("admin") or p.user.casefold() == uploader.casefold())


def four_eyes(p: Principal) -> bool:
    """With sign-in nobody approves their own delivery; in local mode (one person on the
    loopback address) self-approval is allowed and said so (``four_eyes: false``)."""
    return p.mode != "local"


def allowed_pages(p: Principal, pages: Sequence) -> list:  # PageDef items (dashboard.nav)
    return [pg for pg in pages if can_page(p, pg.url_path)]


def publication_only(p: Principal) -> bool:
    """Viewers and the public get aggregated data in publication form only."""
    return p.public or not p.has("planner")


def may_download(p: Principal, dataset: str, publication: bool) -> bool:
    if p.rollup:  # the roll-up file holds none of the ministry datasets
        return False
    ds = DOWNLOADS.get(dataset)
    if ds is None or not can_page(p, "data"):
        return False
    if ds.row_level:
        return not publication and not p.public and p.has("analyst")
    if not ds.aggregated:
        return False
    return publication or not publication_only(p)


# The briefing pack (dashboard/brief.py) holds kpi figures (and mart_career_posts) unprotected:
# whoever may download those aggregated datasets unprotected (planner and up) may take it.
BRIEF_DATASETS = ("kpi", "mart_career_posts")


def may_brief(p: Principal) -> bool:
    return all(may_download(p, n, publication=False) for n in BRIEF_DATASETS)


# The plan review's CSV (views/plan_review.py) holds ministry-wide kpi figures: the kpi
# dataset's right, unprotected (planner and up) — in the public edition in publication form,
# which is all its file holds.
REVIEW_DATASET = "kpi"


def may_review_csv(p: Principal) -> bool:
    return may_download(p, REVIEW_DATASET, publication=p.public)


# The draft revision page (views/plan_draft.py, issue 26): planners and up. Its files (the
# draft's plans.csv / plan_targets.csv, its impact.csv of kpi figures) are downloaded, and the
# draft proposed as a data delivery, with the kpi dataset's right, unprotected.
DRAFT_DATASET = "kpi"


def may_draft(p: Principal) -> bool:
    return can_page(p, "draft") and may_download(p, DRAFT_DATASET, publication=False)


def may_rollup_download(p: Principal, dataset: str) -> bool:
    """The roll-up's own downloads (publication form only): whoever opens its data page."""
    return p.rollup and dataset in ROLLUP_DATASETS and can_page(p, "rollup-data")


def may_submit(p: Principal, organisation: str) -> bool:
    """Whether ``p`` may put ``organisation``'s pack into the roll-up store (its own only)."""
    return (p.rollup and not p.public
            and (organisation in p.submits or ANY_ORGANISATION in p.submits))


def may_rollup_brief(p: Principal) -> bool:
    """The roll-up's briefing pack holds its figures only (publication form): viewer and up."""
    return p.rollup and can_page(p, "compare")


def datasets_for(p: Principal, publication: bool) -> list[str]:
    """The datasets the data page offers, in catalogue order."""
    return [n for n in DOWNLOADS if may_download(p, n, publication)]


def show_run_internals(p: Principal) -> bool:
    """Run id, input folder and the like: not in the public edition."""
    return not p.public


# --- resolving the principal ----------------------------------------------------------------------

@dataclass(frozen=True)
class Gate:
    """The outcome of the access check at the start of every rerun."""

    status: str  # ok | sign_in | denied | misconfigured | local_exposed
    principal: Principal | None = None
    reason: str = ""  # for misconfigured: what is wrong (safe to show)
    contact: str | None = None
    identity: Identity | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.principal is not None


def is_loopback(address: str | None) -> bool:
    if not address:
        return False  # empty = every interface
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def decide(edition_value: str | None, auth_configured: bool | None, server_address: str | None,
           logged_in: bool, claims: Mapping[str, object],
           access_path: Path | None = None) -> Gate:
    """The gate as a pure function of its inputs (``resolve`` reads them from Streamlit)."""
    if edition_value is None:
        return Gate("misconfigured", reason="DTP_EDITION must be internal, public or rollup")
    if edition_value == "public":
        return Gate("ok", PUBLIC)
    ed = "rollup" if edition_value == "rollup" else "internal"
    if auth_configured is None:
        return Gate("misconfigured", reason="the secrets file (.streamlit/secrets.toml or "
                    "--secrets.files) cannot be read")
    if not auth_configured:
        if not is_loopback(server_address):
            return Gate("local_exposed")
        return Gate("ok", replace(LOCAL, edition=ed))
    try:
        access = load_access(access_path)
    except AccessFileError as exc:
        log.error("access file: %s", exc)
        return Gate("misconfigured", reason=str(exc))
    if not logged_in:
        return Gate("sign_in", contact=access.contact)
    identity = Identity.from_claims(claims)
    roles = roles_for(identity, access)
    submits = submits_for(identity, access) if ed == "rollup" else ()
    if not roles and not submits:
        return Gate("denied", contact=access.contact, identity=identity)
    return Gate("ok", Principal(identity.user, roles, ed, "oidc", identity, submits))


def auth_configured() -> bool | None:
    """Whether the secrets hold an ``[auth]`` section (``.streamlit/secrets.toml`` or
    ``--secrets.files``); None if a secrets file is there but cannot be read (then no data:
    it may well hold the [auth] section)."""
    import streamlit as st
    from streamlit import config

    try:
        if st.secrets.load_if_toml_exists():
            return bool(st.secrets.get("auth"))
        files = config.get_option("secrets.files") or []
        if any(Path(f).exists() for f in files):
            log.error("a secrets file exists but could not be read: %s", files)
            return None
        return False
    except Exception:  # noqa: BLE001 — unreadable secrets: fail closed
        log.exception("secrets could not be read")
        return None


def resolve() -> Gate:
    """The gate for this rerun, from the environment, the secrets and ``st.user``."""
    import streamlit as st
    from streamlit import config

    try:
        ed: str | None = settings.edition()
    except settings.EditionError:
        ed = None
    auth = auth_configured() if ed in ("internal", "rollup") else False
    logged_in, claims = False, {}
    if auth:
        user = st.user.to_dict()
        logged_in = bool(user.get("is_logged_in"))
        claims = user
    return decide(ed, auth, config.get_option("server.address"), logged_in, claims)


def require_page(url_path: str) -> Principal:
    """For a page script: the principal of this rerun if it may open ``url_path``; otherwise
    the script stops here (``app.py`` only runs allowed pages; this is the second lock)."""
    import streamlit as st

    gate = resolve()
    if not gate.ok or gate.principal is None or not can_page(gate.principal, url_path):
        st.stop()
    assert gate.principal is not None
    return gate.principal


def authorize_download(p: Principal, dataset: str, publication: bool) -> Principal:
    """Called by a download callable when its bytes are about to be made (in Streamlit's
    download thread): the role is checked again now, against the access file as it is now,
    so a callable made before a role change cannot get around it. Returns the principal as
    it stands; raises :class:`AccessDenied` (and writes a ``denied`` audit line)."""
    from dashboard import audit

    now = refresh(p)
    if now is None or not may_download(now, dataset, publication):
        audit.record("denied", now or p, dataset=dataset, publication=publication)
        raise AccessDenied(f"{p.user} may not download {dataset}")
    return now


def authorize_brief(p: Principal) -> Principal:
    """``authorize_download`` for the briefing pack (each dataset it holds, unprotected)."""
    for name in BRIEF_DATASETS:
        p = authorize_download(p, name, publication=False)
    return p


def authorize_review_csv(p: Principal) -> Principal:
    """``authorize_download`` for the plan review's CSV (``may_review_csv``)."""
    return authorize_download(p, REVIEW_DATASET, publication=p.public)


def authorize_draft(p: Principal, action: str) -> Principal:
    """The re-check when a draft's file is made or the draft proposed (``may_draft`` now,
    against the access file as it is now); a ``denied`` audit line otherwise."""
    from dashboard import audit

    now = refresh(p)
    if now is None or not may_draft(now):
        audit.record("denied", now or p, page="draft", dataset=action)
        raise AccessDenied(f"{p.user} may not {action} a draft revision")
    return now


def authorize_rollup_download(p: Principal, dataset: str) -> Principal:
    """``authorize_download`` for the roll-up's downloads (``may_rollup_download``)."""
    from dashboard import audit

    now = refresh(p)
    if now is None or not may_rollup_download(now, dataset):
        audit.record("denied", now or p, dataset=dataset, publication=True)
        raise AccessDenied(f"{p.user} may not download {dataset}")
    return now


def authorize_rollup_brief(p: Principal) -> Principal:
    """``authorize_download`` for the roll-up's briefing pack (``may_rollup_brief``)."""
    from dashboard import audit

    now = refresh(p)
    if now is None or not may_rollup_brief(now):
        audit.record("denied", now or p, dataset="rollup_briefing_pack", publication=True)
        raise AccessDenied(f"{p.user} may not take the roll-up's briefing pack")
    return now


def authorize_delivery(p: Principal, action: str) -> Principal:
    """The re-check of a delivery action (upload, approve, reject, withdraw, delete, rerun,
    restore) when it is carried out: roles as they are now. Raises :class:`AccessDenied` (and
    writes a ``denied`` line). The flow itself refuses a wrong state or one's own delivery."""
    from dashboard import audit

    now = refresh(p)
    ok = now is not None and (may_restore(now) if action == "restore" else may_deliver(now))
    if not ok:
        audit.record("denied", now or p, page=DELIVERIES_PAGE, detail={"action": action})
        raise AccessDenied(f"{p.user} may not {action} deliveries")
    assert now is not None
    return now


def authorize_submit(p: Principal, organisation: str, detail: str | None = None) -> Principal:
    """Before a pack of ``organisation`` goes into the roll-up store (the inbox), server-side:
    the person's standing as it is now in the access file. Raises :class:`AccessDenied` (and
    writes a ``rejected`` audit line) for a submitter of another organisation."""
    from dashboard import audit

    now = refresh(p)
    if now is None or not may_submit(now, organisation):
        audit.record("rejected", now or p, page=INBOX_PAGE, dataset=organisation,
                     detail=detail or f"not a submitter of {organisation}")
        raise AccessDenied(f"{p.user} may not submit packs of {organisation}")
    return now


def authorize_page(p: Principal, url_path: str) -> Principal:
    """The same re-check for an admin page's own download (the audit log)."""
    from dashboard import audit

    now = refresh(p)
    if now is None or not can_page(now, url_path):
        audit.record("denied", now or p, page=url_path)
        raise AccessDenied(f"{p.user} may not open {url_path}")
    return now


def refresh(p: Principal) -> Principal | None:
    """``p`` with its roles as they are now (None if it has none any more)."""
    try:
        ed = settings.edition()
    except settings.EditionError:
        return None
    if ed != p.edition:
        return None
    if p.mode in ("local", "public"):
        return p
    if p.identity is None:
        return None
    try:
        access = load_access()
    except AccessFileError as exc:
        log.error("access file: %s", exc)
        return None
    roles = roles_for(p.identity, access)
    submits = submits_for(p.identity, access) if p.rollup else ()
    return replace(p, roles=roles, submits=submits) if roles or submits else None
