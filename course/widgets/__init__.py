"""Interactive explorers for the lectures (ipywidgets), one submodule per lecture.

A widget of this course is a small class over plain functions: the logic is
tested in Python without a browser (set a control's ``.value``, read the
state), the rendering in a real browser.  Import from here::

    from course.widgets import CosineExplorer
"""

# One submodule per lecture; each lists its public names in __all__.
from course.widgets import basics, embeddings, questions, reasoning, seq2seq
from course.widgets.basics import *  # noqa: F403
from course.widgets.embeddings import *  # noqa: F403
from course.widgets.questions import *  # noqa: F403
from course.widgets.reasoning import *  # noqa: F403
from course.widgets.seq2seq import *  # noqa: F403

__all__ = [name for module in (basics, embeddings, questions, seq2seq, reasoning)
           for name in module.__all__]
