//! WS-Management operations (under construction).
