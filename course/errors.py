"""The one exception type the ``course`` command turns into a one-line message."""


class CourseError(Exception):
    """Bad input or a broken set-up: the message says what is wrong and what to do."""
