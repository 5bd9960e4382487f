"""Random-number doubles for the pick: scripted points, and a pick that leans."""

from __future__ import annotations

import random


class ScriptedRandom(random.Random):
    """Answers ``randrange`` with the given points, in order: a pick decided by the test."""

    def __init__(self, *points: int):
        super().__init__(0)
        self.points = list(points)

    def randrange(self, stop, *_args):
        return self.points.pop(0) % stop


class LeaningRandom(random.Random):
    """The lower of two fair points: the first eligible operators get more than their weight."""

    def randrange(self, stop, *_args):
        return min(super().randrange(stop), super().randrange(stop))
