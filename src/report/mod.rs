//! What leadership and HR may see, with the anonymity threshold applied to every figure.

pub mod participation;
pub mod stats;
