//! JSON-lines
