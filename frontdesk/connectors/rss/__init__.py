"""RSS, RDF, Atom and JSON Feed sources: parse (parse.py), autodiscovery
(discover.py), polling with conditional GET and next-poll hints (adapter.py)."""
