//! stub (under construction)
/// stub
pub fn write_instance() {}
