//! The inbox, preferences and dead letters as the API reads and writes them.
