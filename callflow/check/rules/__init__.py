"""Every checker rule, one small module each; importing this package registers them.

Modules are discovered, not listed: a new rule is a new module here with a ``@register``
class (``flow002_timer_left_running.py``, ``sip201_ack_missing.py``).
"""

import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
