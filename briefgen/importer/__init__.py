"""`briefgen import`: turn a raw article (pasted text or a saved web page) into a draft to review.

The pipeline reads the source (read.py), infers the front matter from the registry and the
content's vocabulary first and optional NLP libraries second (infer.py, people.py, dates.py), and
writes one new file that is never an overwrite (write.py). Nothing here is used by the build.
"""

from __future__ import annotations

from .infer import Draft, Options, infer
from .read import Source, read_source
from .write import write_draft

__all__ = ["Draft", "Options", "Source", "infer", "read_source", "write_draft"]
