//! Integration tests: one binary, the real server on 127.0.0.1:0, spoken to over HTTP.

mod common;

mod concurrency;
mod cli;
mod model;
mod restart;
