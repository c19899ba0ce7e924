"""Where the offline data lives: packages from PyPI and the course's cache folder."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DataUnavailable",
    "cache_dir",
    "chatterbot_corpus_dir",
    "gensim_test_data",
    "gensim_test_file",
]

SETUP_HINT = "run `make setup` in the course folder"


class DataUnavailable(RuntimeError):
    """A data set is missing; ``fix`` is the command that provides it."""

    def __init__(self, message: str, fix: str):
        super().__init__(f"{message}; to fix: {fix}")
        self.fix = fix


def gensim_test_data() -> Path:
    """The folder of test data that gensim ships (used by modules 1 and 2)."""
    try:
        import gensim
    except ImportError:
        raise DataUnavailable("gensim is not installed",
                              f"{SETUP_HINT} (or `pip install gensim`)") from None
    folder = Path(gensim.__file__).parent / "test" / "test_data"
    if not folder.is_dir():
        raise DataUnavailable(f"gensim at {Path(gensim.__file__).parent} has no test data",
                              "reinstall gensim from PyPI: `pip install --force-reinstall gensim`")
    return folder


def gensim_test_file(name: str) -> Path:
    """One file of gensim's test data, e.g. ``"wordsim353.tsv"``."""
    path = gensim_test_data() / name
    if not path.exists():
        raise DataUnavailable(f"gensim's test data has no {name}",
                              "reinstall gensim from PyPI: `pip install --force-reinstall gensim`")
    return path


def chatterbot_corpus_dir(language: str = "english") -> Path:
    """The folder of chatterbot-corpus YAML files for ``language`` (module 2 and 3)."""
    try:
        import chatterbot_corpus
    except ImportError:
        raise DataUnavailable("chatterbot-corpus is not installed",
                              f"{SETUP_HINT} (or `pip install chatterbot-corpus`)") from None
    folder = Path(chatterbot_corpus.__file__).parent / "data" / language
    if not folder.is_dir():
        raise DataUnavailable(f"chatterbot-corpus has no {language!r} data",
                              "reinstall it: `pip install --force-reinstall chatterbot-corpus`")
    return folder


def cache_dir(*parts: str) -> Path:
    """A folder for parsed corpora and checkpoints (created on first use).

    ``$COURSE_CACHE`` when set, else ``.cache/`` in the course folder (git-ignored).
    Deleting it is always safe: everything in it is rebuilt on demand.
    """
    from course import ROOT

    base = Path(os.environ.get("COURSE_CACHE") or ROOT / ".cache")
    folder = base.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
