//! Herald protocol layer.
