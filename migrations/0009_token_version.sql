-- What a token may do is read once and then kept in memory by the daemon,
-- so a request needs no SHA-256 and no query for it. This number changes
-- with every change that could change that (a token made, revoked or
-- changed; a school made, removed, or given another code or municipality,
-- which a school's token is resolved by), whoever makes it: the daemon
-- looks at it four times a second and forgets what it kept when it moves,
-- so a token revoked from the command line ends within a second.
INSERT INTO meta (key, value) VALUES ('tokens', 0);

CREATE TRIGGER tokens_version_insert AFTER INSERT ON tokens
BEGIN
	UPDATE meta SET value = value + 1 WHERE key = 'tokens';
END;
CREATE TRIGGER tokens_version_delete AFTER DELETE ON tokens
BEGIN
	UPDATE meta SET value = value + 1 WHERE key = 'tokens';
END;
-- not when only last_used_at changes, which the daemon writes each minute
CREATE TRIGGER tokens_version_update AFTER UPDATE OF name, role, hash,
	municipality_code, school_code, expires_at ON tokens
BEGIN
	UPDATE meta SET value = value + 1 WHERE key = 'tokens';
END;
CREATE TRIGGER tokens_version_school_insert AFTER INSERT ON schools
BEGIN
	UPDATE meta SET value = value + 1 WHERE key = 'tokens';
END;
CREATE TRIGGER tokens_version_school_delete AFTER DELETE ON schools
BEGIN
	UPDATE meta SET value = value + 1 WHERE key = 'tokens';
END;
CREATE TRIGGER tokens_version_school_update AFTER UPDATE OF code,
	municipality_code ON schools
BEGIN
	UPDATE meta SET value = value + 1 WHERE key = 'tokens';
END;
