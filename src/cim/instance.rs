//! stub (under construction)
#![allow(missing_docs)]
pub struct Instance;
pub struct Value;
