//! The feed shared by every node on one PostgreSQL database: NOTIFY on
//! publish, one LISTEN connection per node.
