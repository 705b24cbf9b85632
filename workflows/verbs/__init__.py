"""What users do: each verb is one unit of work and its audit event."""
