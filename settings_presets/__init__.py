"""Ready settings modules: import one instead of ``oxlog.settings``.

``from settings_presets.production import *`` — ``development``, ``production``,
``container`` and ``test``. Each exports what ``oxlog.settings`` does plus its
``OXLOG_*`` values; environment variables still override them.
"""
