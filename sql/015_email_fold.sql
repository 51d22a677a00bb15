-- E-mail addresses have one normal form, made by the daemon's
-- email_normalize() (Unicode lower case with C.UTF-8's tables) wherever an
-- address is stored, compared, looked up or counted. The check of 001
-- compared with lower(), whose answer depends on this database's own
-- LC_CTYPE or ICU collation: under another locale it can disagree with the
-- daemon and refuse an address the daemon folded (a 500). What every
-- database can check the same way stays: no ASCII capital letters.
ALTER TABLE users DROP CONSTRAINT users_email_check;
ALTER TABLE users ADD CONSTRAINT users_email_check
	CHECK (email = lower(email COLLATE "C"));
