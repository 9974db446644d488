"""The ``xlmr-np`` command: pipelines, a forward-pass trace, a reference check, conversion."""
