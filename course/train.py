"""One training loop for every lecture: seeding, a progress bar, a time budget, checkpoints.

Lectures call :func:`train` with a ``step`` function (one optimisation step on
one batch, returning the loss) and a ``batches`` function (the batches of
one epoch).  Training stops at the end of ``num_epochs``, when the time
budget runs out, or when ``evaluate`` reaches ``target``.
:func:`load_or_train` makes re-runs instant without hiding the training
path.  Under nbgrader (``NBGRADER_EXECUTION`` set) :func:`under_autograde`
lets notebooks shrink long runs.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["History", "load_or_train", "set_seed", "train", "under_autograde"]


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and torch (CPU) so a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def under_autograde() -> bool:
    """True while nbgrader executes the notebook (autograde or validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


@dataclass
class History:
    """What a training run did: losses per epoch, evaluations, time, why it stopped."""

    losses: list[float] = field(default_factory=list)
    evaluations: list[tuple[int, float, float]] = field(default_factory=list)  # epoch, secs, value
    seconds: float = 0.0
    steps: int = 0
    examples: int = 0
    stopped: str = ""

    @property
    def final_loss(self) -> float:
        return self.losses[-1] if self.losses else math.nan

    def best(self) -> float:
        return max((v for _, _, v in self.evaluations), default=math.nan)

    def time_to(self, target: float) -> float | None:
        """Seconds until an evaluation first reached ``target`` (None if it never did)."""
        return next((secs for _, secs, value in self.evaluations if value >= target), None)


def train(step: Callable[[Any], float], batches: Callable[[int], Iterable[Any]],
          num_epochs: int, *, time_budget: float | None = None,
          evaluate: Callable[[], float] | None = None, target: float | None = None,
          desc: str = "training", progress: bool = True,
          batch_size: Callable[[Any], int] | None = None) -> History:
    """Run ``step`` on every batch of ``batches(epoch)`` for up to ``num_epochs`` epochs.

    ``evaluate`` (optional) is called after each epoch; with ``target`` the
    run stops as soon as the evaluation reaches it.  ``time_budget`` (seconds)
    stops the run after the batch that exceeds it.  ``batch_size(batch)``
    counts examples for a throughput figure.
    """
    from tqdm.auto import tqdm

    history = History()
    start = time.perf_counter()
    with tqdm(total=num_epochs, desc=desc, unit="epoch", disable=not progress, leave=True) as bar:
        for epoch in range(num_epochs):
            total, count = 0.0, 0
            for batch in batches(epoch):
                total += float(step(batch))
                count += 1
                history.steps += 1
                if batch_size is not None:
                    history.examples += int(batch_size(batch))
                if time_budget is not None and time.perf_counter() - start > time_budget:
                    history.stopped = (f"time budget of {time_budget:g} s reached "
                                       f"in epoch {epoch + 1}")
                    break
            history.losses.append(total / max(count, 1))
            postfix = {"loss": f"{history.losses[-1]:.4f}"}
            if evaluate is not None:
                value = float(evaluate())
                history.evaluations.append((epoch + 1, time.perf_counter() - start, value))
                postfix["eval"] = f"{value:.4f}"
            bar.set_postfix(postfix)
            bar.update(1)
            if history.stopped:
                break
            if target is not None and history.evaluations and history.evaluations[-1][2] >= target:
                history.stopped = f"target {target:g} reached after epoch {epoch + 1}"
                break
    history.seconds = time.perf_counter() - start
    history.stopped = history.stopped or f"{num_epochs} epochs done"
    return history


def _fingerprint(settings: dict[str, Any]) -> str:
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_or_train(path: str | Path, model: torch.nn.Module, train_fn: Callable[[], Any],
                  settings: dict[str, Any] | None = None, retrain: bool = False
                  ) -> tuple[torch.nn.Module, Any]:
    """Load ``model``'s weights from ``path`` if they were saved with the same ``settings``;
    otherwise call ``train_fn()`` (which trains ``model`` in place), save, and return.

    Returns ``(model, result)`` where ``result`` is ``train_fn``'s return value, or the
    string ``"loaded from <path>"`` when nothing was trained.
    """
    path = Path(path)
    tag = _fingerprint(settings or {})
    if path.exists() and not retrain:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved.get("fingerprint") == tag:
            model.load_state_dict(saved["state_dict"])
            return model, f"loaded from {path}"
    result = train_fn()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"fingerprint": tag, "state_dict": model.state_dict()}, path)
    return model, result
