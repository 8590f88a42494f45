//! The embedded SQLite store (WAL, synchronous=FULL).
