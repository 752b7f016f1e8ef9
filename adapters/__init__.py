"""Country adapters: national exports <-> canonical records (``adapters.contract``).

The modules of the per-row path run compiled when a current build of them exists
(``adapters.compiled``); this must happen before any of them is imported, hence here.
"""

from adapters import compiled as _compiled

_compiled.activate(__path__)
