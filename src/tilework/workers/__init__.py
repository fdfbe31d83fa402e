"""Job dispatch: the ``Dispatcher`` port and its adapters (embedded SQLite today)."""
