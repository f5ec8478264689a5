""" "Check this post": naming the manipulation techniques in a forwarded post, and lessons.

A post is analysed, not answered: :mod:`bot.posts.detector` names techniques
from a fixed taxonomy (:mod:`bot.posts.taxonomy`), :mod:`bot.posts.analysis`
writes the reply from reviewed templates and one corpus unit, and
:mod:`bot.posts.lessons` holds the short prebunking lessons educators publish.
"""
