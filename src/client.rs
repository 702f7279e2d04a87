//! WS-Man client over a Transport (under construction).
