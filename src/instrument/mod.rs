//! The instrument master: load Dhan's CSV once, index it, find instruments.
