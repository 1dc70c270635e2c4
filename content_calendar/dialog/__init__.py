"""Dialog: the inbox of citizens' comments and messages, reply blocks, reply hours, rumour watch."""
