"""The run cards and analysis cards shipped with nusource (package data: ``nusource.configs``).

Read them with :func:`nusource.cards.shipped_card` (a name such as
``'lxe_cr51.toml'`` or ``'analysis/lxe_mu.toml'``); the command line takes
either a path or such a name.
"""
