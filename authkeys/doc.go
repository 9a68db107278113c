// Package authkeys reads OpenSSH authorized_keys lines with their options
// and user certificates' options, and says what a key so listed may do: the
// rules of sshd(8)'s "AUTHORIZED_KEYS FILE FORMAT" and of ssh-keygen(1)'s
// certificate options, for those that mean something on vmhost.
//
// It is pure logic, used by the config's validation and by the SSH server's
// authentication alike; it reads no files and trusts nothing it parses.
package authkeys
