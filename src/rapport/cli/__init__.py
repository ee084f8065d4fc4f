"""The ``rapport`` command line: thin commands over :class:`rapport.Engine`."""
