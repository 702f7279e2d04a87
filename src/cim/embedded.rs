//! stub (under construction)
#![allow(missing_docs)]
pub struct CimType;
pub struct EmbeddedInstance;
pub struct EmbeddedProperty;
pub struct EmbeddedValue;
