"""Storage: the records, the database engines, the schema, the unit of work, the audit log
append, the evidence store and password hashing."""
