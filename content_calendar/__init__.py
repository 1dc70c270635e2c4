"""What to say and when: posts, themes, approvals, alert templates, and the web app."""
