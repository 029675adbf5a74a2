"""After a new version goes live, start the executive digest (issue 25) in its own process.

``versions.record`` (an approved delivery, a CLI build, a restore) calls :func:`after_live`.
The digest itself lives in the dashboard (``python -m dashboard digest``, dashboard/digest.py);
this layer never imports it, it only starts the command, detached (its own session, no
terminal), so neither the approval nor the build waits for mail. It starts only when

* the warehouse is the configured one (``DTP_WAREHOUSE``: what the dashboard serves; a
  scratch or test warehouse never mails anyone),
* a subscriptions file exists (``DTP_SUBSCRIPTIONS``), and
* ``DTP_DIGEST_AUTO`` is not ``off``.

Its output goes to ``digest.log`` beside the digest state; the digest sends nothing when
nothing visible changed, and its state keeps a rerun from sending twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines import settings


def wanted(warehouse: Path) -> bool:
    if not settings.digest_auto():
        return False
    if os.path.realpath(warehouse) != os.path.realpath(settings.get_settings().warehouse):
        return False
    return settings.subscriptions_file().exists()


def after_live(warehouse: Path) -> subprocess.Popen | None:
    """Start ``python -m dashboard digest --warehouse W`` if :func:`wanted`; never raises
    (a digest that cannot start must not fail what made the version live)."""
    try:
        if not wanted(warehouse):
            return None
        log = settings.digest_state().with_name("digest.log")
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            return subprocess.Popen(
                [sys.executable, "-m", "dashboard", "digest", "--warehouse", str(warehouse)],
                cwd=settings.ROOT, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True)
    except (OSError, settings.SettingsError) as exc:
        print(f"warning: the digest could not be started: {exc}", file=sys.stderr)
        return None
