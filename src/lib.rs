//! Support code shared by the examples, integration tests and benchmarks of
//! actix-login. Not published.

pub mod demo;
