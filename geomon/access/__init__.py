"""Who may see and change what: users, roles, areas and logins (`auth`), the failed-login
lock-out (`lockout`), and the store wrapper that enforces a user's areas on every read and write
(`scoped`)."""
