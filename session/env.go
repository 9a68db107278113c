package session

import "vmhost/protocol"

// BaseEnv is the environment every process a front end starts begins with,
// as for root's login; front ends add their own (SSH_CONNECTION, TERM, LANG).
var BaseEnv = []string{
	"HOME=/root",
	"USER=root",
	"LOGNAME=root",
	"SHELL=/bin/sh",
	"PATH=" + protocol.DefaultPath,
}

// Env returns BaseEnv with kvs ("KEY=value") set over it, the last value of
// a key winning.
func Env(kvs ...string) []string {
	env := append([]string(nil), BaseEnv...)
	for _, kv := range kvs {
		env = SetEnv(env, kv)
	}
	return env
}

// SetEnv sets kv ("KEY=value") in env, replacing an earlier value of KEY.
func SetEnv(env []string, kv string) []string {
	key, _, _ := cutKey(kv)
	for i, old := range env {
		if k, _, _ := cutKey(old); k == key {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

// cutKey splits "KEY=value".
func cutKey(kv string) (string, string, bool) {
	for i := 0; i < len(kv); i++ {
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
}
