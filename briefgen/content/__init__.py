"""content/ read into the model: the only place that validates articles, people and vocabulary.

- `load.py`: `load_content`, the whole folder read, resolved and checked, every problem at once;
- `articles.py`: one article file parsed on its own (cacheable), and its body read again;
- `people.py`, `vocabulary.py`: the people, topics and places files, and what resolves names to them;
- `events.py`: the checks across articles' events (one id, one happening);
- `fields.py`: typed reads of YAML fields that collect problems with their lines, and dates.
"""
