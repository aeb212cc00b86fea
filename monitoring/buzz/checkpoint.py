"""The monitor's state on disk, so that a restarted monitor resumes where it stopped.

The state is the whole :class:`~monitoring.buzz.monitor.BuzzMonitor` (plain Python: the detectors'
past counts and CUSUM, cool-downs, open buckets, the last tweet seen, the keys of the alerts and
gaps already handed out), pickled with the rule it was computed under. It is written atomically (a
temporary file in the same folder, flushed to disk, then ``os.replace``), so a kill at any moment
leaves the previous state or the new one, never half of one.

A state whose stream ended (``finished``) is not resumed: the next run starts afresh (a replayed
file is replayed again). A state written under another rule, or by an incompatible version of the
code, is refused with a message rather than silently mixed with the new rule.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

from monitoring.buzz.monitor import BuzzMonitor
from monitoring.buzz.rule import RULE, BuzzRule

FORMAT = 1  # bump when the pickled monitor changes incompatibly


class StateError(RuntimeError):
    """The saved state cannot be resumed (another rule, another format, unreadable)."""


def save(monitor: BuzzMonitor, path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = pickle.dumps({"format": FORMAT, "rule": monitor.rule.to_dict(), "monitor": monitor},
                        protocol=pickle.HIGHEST_PROTOCOL)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path, rule: BuzzRule = RULE) -> BuzzMonitor | None:
    """The monitor saved at ``path`` to resume, or None (no state, or its stream had ended)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        saved = pickle.loads(path.read_bytes())
    except Exception as e:  # noqa: BLE001 - any unpickling failure means the same thing here
        raise StateError(f"cannot read the bad-buzz state {path} ({type(e).__name__}: {e}); "
                         "start afresh with --fresh") from None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise StateError(f"{path} was written by another version of the monitor; start afresh with --fresh")
    if saved["rule"] != rule.to_dict():
        raise StateError(f"{path} was computed under another rule; start afresh with --fresh")
    monitor = saved["monitor"]
    return None if monitor.finished else monitor


def saver(path: Path):
    """``save`` bound to ``path`` (what :func:`monitoring.buzz.monitor.run` calls)."""
    return lambda monitor: save(monitor, path)
