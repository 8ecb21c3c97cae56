//! The plain types of the domain: what is stored and what travels between modules. A leaf
//! module: it holds data and pure rules over it, imports no other module of Salas but the
//! leaves (`types`, `access`, `validation`), and does no I/O. The store and the domain modules
//! share these types; the rules that need storage or the clock stay in the domain modules.

pub mod audit;
pub mod display;
pub mod event;
pub mod field;
pub mod group;
pub mod notify;
pub mod policy;
pub mod report;
pub mod reservation;
pub mod room;
pub mod user;
pub mod wait;
