"""Every data set of the course, offline and deterministic.

Text comes from packages installed from PyPI (gensim's bundled test data:
a Wikipedia sample, the Lee corpus and its similarity judgements,
WordSim-353, SimLex-999 and the analogy questions; chatterbot-corpus's
dialogues) or from generators written here.  Nothing is downloaded at run
time: a missing package raises :class:`DataUnavailable`, whose message names
the command that installs it.

One submodule per source or module; everything public is importable from
``course.data`` directly.
"""

# One submodule per source or lecture module; each lists its public names in __all__.
from course.data import embeddings, questions, reasoning, seq2seq, sources
from course.data.embeddings import *  # noqa: F403
from course.data.questions import *  # noqa: F403
from course.data.reasoning import *  # noqa: F403
from course.data.seq2seq import *  # noqa: F403
from course.data.sources import *  # noqa: F403

__all__ = [name for module in (sources, embeddings, questions, seq2seq, reasoning)
           for name in module.__all__]
